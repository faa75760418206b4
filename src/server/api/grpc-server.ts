/**
 * The client-facing gRPC server on --listen-client-urls.
 */
import * as grpc from '@grpc/grpc-js'
import { KVService, MaintenanceService } from '../../gen/etcdserverpb.js'
import type { Core } from '../etcdserver/core.js'
import { kvService } from './kv-service.js'
import { maintenanceService } from './maintenance-service.js'
import { GRPC_OVERHEAD_BYTES, type Limits } from './limits.js'
import { serviceDefinition } from './unary.js'

export interface GrpcServerOptions extends Limits {
  keepaliveIntervalMs: number
  keepaliveTimeoutMs: number
  keepaliveMinTimeMs: number
}

/** `host:port` for grpc-js from a listen URL. */
export function bindAddress(u: URL): string {
  if (u.protocol === 'unix:' || u.protocol === 'unixs:') return `unix:${u.pathname}`
  return `${u.hostname}:${u.port}`
}

export class ClientServer {
  private readonly server: grpc.Server

  constructor(core: Core, opts: GrpcServerOptions) {
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      'grpc.max_send_message_length': 2 ** 31 - 1,
      'grpc.keepalive_time_ms': opts.keepaliveIntervalMs,
      'grpc.keepalive_timeout_ms': opts.keepaliveTimeoutMs,
      'grpc.http2.min_ping_interval_without_data_ms': opts.keepaliveMinTimeMs,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_concurrent_streams': 2 ** 31 - 1,
    })
    this.server.addService(serviceDefinition(KVService), kvService(core, opts))
    this.server.addService(serviceDefinition(MaintenanceService), maintenanceService(core, opts))
  }

  /** Registers another service (before `listen`). */
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    this.server.addService(definition, implementation)
  }

  async listen(urls: URL[], credentials: (u: URL) => grpc.ServerCredentials): Promise<void> {
    for (const u of urls) {
      await new Promise<number>((resolve, reject) => {
        this.server.bindAsync(bindAddress(u), credentials(u), (err, port) => (err ? reject(new Error(`listen ${u.href}: ${err.message}`)) : resolve(port)))
      })
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown()
        resolve()
      }, 2000)
      this.server.tryShutdown(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}
