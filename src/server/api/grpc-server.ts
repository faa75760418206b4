/**
 * The client-facing gRPC server on --listen-client-urls (gRPC on node:http2, see api/h2),
 * which also answers plain HTTP on the same port.
 */
import type * as grpc from '@grpc/grpc-js'
import { GrpcServer, type HttpHandler } from './h2/index.js'
import type { ServerTlsOptions } from '../tls/index.js'
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
  /** Plain HTTP requests on the client port (/health, /version). */
  httpHandler?: HttpHandler
}

/** `host:port` for grpc-js from a listen URL. */
export function bindAddress(u: URL): string {
  if (u.protocol === 'unix:' || u.protocol === 'unixs:') return `unix:${u.pathname}`
  return `${u.hostname}:${u.port}`
}

export class ClientServer {
  private readonly server: GrpcServer

  constructor(core: Core, opts: GrpcServerOptions) {
    this.server = new GrpcServer({
      maxReceiveMessageBytes: opts.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      keepaliveIntervalMs: opts.keepaliveIntervalMs,
      keepaliveTimeoutMs: opts.keepaliveTimeoutMs,
      keepaliveMinTimeMs: opts.keepaliveMinTimeMs,
      httpHandler: opts.httpHandler,
    })
    this.server.addService(serviceDefinition(KVService), kvService(core, opts))
    this.server.addService(serviceDefinition(MaintenanceService), maintenanceService(core, opts))
  }

  /** Registers another service (before `listen`). */
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    this.server.addService(definition, implementation)
  }

  /** Listens on every URL; `tlsFor` gives TLS settings for https:// and unixs:// ones. */
  async listen(urls: URL[], tlsFor: (u: URL) => ServerTlsOptions | undefined): Promise<void> {
    for (const u of urls) {
      try {
        await this.server.listen(u, { tls: tlsFor(u) })
      } catch (err) {
        throw new Error(`listen ${u.href}: ${(err as Error).message}`)
      }
    }
  }

  /** Serves new TLS settings (a rotated certificate) to connections made from now on. */
  setSecureContext(options: ServerTlsOptions): void {
    this.server.setSecureContext(options)
  }

  async close(): Promise<void> {
    await this.server.tryShutdown(2000)
  }
}
