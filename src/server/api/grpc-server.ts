/**
 * The client-facing gRPC server on --listen-client-urls (gRPC on tsetcd's own HTTP/2, see
 * api/h2), which also answers plain HTTP on the same port.
 */
import { BoundListener, GrpcServer, notFound, type CallKind, type HttpHandler, type MethodStats } from './h2/index.js'
import { gatewayHandler } from './gateway/index.js'
import type { ServerTlsOptions } from '../tls/index.js'
import { AuthService, ClusterService, LeaseService, MaintenanceService } from '../../gen/etcdserverpb.js'
import { authService } from './auth-service.js'
import type { Core } from '../etcdserver/core.js'
import { clusterService } from './cluster-service.js'
import { kvService } from './kv-service.js'
import { KVServiceEncodedRange } from './range-encoding.js'
import { leaseService } from './lease-service.js'
import { maintenanceService } from './maintenance-service.js'
import { GRPC_OVERHEAD_BYTES, type Limits } from './limits.js'
import { serviceDefinition } from './unary.js'
import { watchService, watchServiceDefinition } from './watch-service.js'
import { electionService, lockService } from './lock-service.js'
import { LockService } from '../../gen/v3lockpb.js'
import { ElectionService } from '../../gen/v3electionpb.js'

export type { BoundListener }

export interface GrpcServerOptions extends Limits {
  keepaliveIntervalMs: number
  keepaliveTimeoutMs: number
  keepaliveMinTimeMs: number
  /** --max-concurrent-streams: HTTP/2 streams one client connection may have open at once. */
  maxConcurrentStreams?: number
  /** Plain HTTP requests on the client port outside the JSON gateway's /v3/ (/health, /version). */
  httpHandler?: HttpHandler
}

/** `host:port` for grpc-js from a listen URL. */
export function bindAddress(u: URL): string {
  if (u.protocol === 'unix:' || u.protocol === 'unixs:') return `unix:${u.pathname}`
  return `${u.hostname}:${u.port}`
}

const GRPC_TYPE: Record<CallKind, string> = {
  unary: 'unary',
  clientStream: 'client_stream',
  serverStream: 'server_stream',
  bidi: 'bidi_stream',
}

export class ClientServer {
  private readonly server: GrpcServer

  constructor(core: Core, opts: GrpcServerOptions) {
    const services = {
      KV: kvService(core, opts),
      Maintenance: maintenanceService(core, opts),
      Watch: watchService(core),
      Cluster: clusterService(core, opts),
      Lease: leaseService(core, opts),
      Auth: authService(core, opts),
      Lock: lockService(core, opts),
      Election: electionService(core, opts),
    }
    this.server = new GrpcServer({
      maxReceiveMessageBytes: opts.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      keepaliveIntervalMs: opts.keepaliveIntervalMs,
      keepaliveTimeoutMs: opts.keepaliveTimeoutMs,
      keepaliveMinTimeMs: opts.keepaliveMinTimeMs,
      ...(opts.maxConcurrentStreams !== undefined ? { maxConcurrentStreams: opts.maxConcurrentStreams } : {}),
      // etcd's JSON gateway answers /v3/… (and /v3beta/…); other paths go to httpHandler.
      httpHandler: gatewayHandler(services, { ...opts, fallback: opts.httpHandler ?? notFound }),
    })
    this.server.addService(serviceDefinition(KVServiceEncodedRange), services.KV)
    this.server.addService(serviceDefinition(MaintenanceService), services.Maintenance)
    this.server.addService(watchServiceDefinition, services.Watch)
    this.server.addService(serviceDefinition(ClusterService), services.Cluster)
    this.server.addService(serviceDefinition(LeaseService), services.Lease)
    this.server.addService(serviceDefinition(AuthService), services.Auth)
    this.server.addService(serviceDefinition(LockService), services.Lock)
    this.server.addService(serviceDefinition(ElectionService), services.Election)
  }

  /**
   * Call counts of every method, named as go-grpc-prometheus labels them: service
   * `etcdserverpb.KV`, method `Put`, type `unary`, `client_stream`, `server_stream` or `bidi_stream`.
   */
  methodStats(): { service: string; method: string; type: string; stats: MethodStats }[] {
    return this.server.methodStats().map((m) => {
      const [, service, method] = m.path.split('/')
      return { service, method, type: GRPC_TYPE[m.kind], stats: m.stats }
    })
  }

  /**
   * Binds every URL before the server exists (a member binds its client port first and serves
   * it once ready, as etcd does); see BoundListener. Closes what it bound if one fails.
   */
  static async bind(urls: URL[]): Promise<BoundListener[]> {
    const bound: BoundListener[] = []
    try {
      // BoundListener's errors name the URL.
      for (const u of urls) bound.push(await BoundListener.bind(u))
    } catch (err) {
      for (const b of bound) b.close()
      throw err
    }
    return bound
  }

  /** Serves listeners from bind(); `tlsFor` gives TLS settings for https:// and unixs:// ones. */
  adopt(bound: BoundListener[], tlsFor: (u: URL) => ServerTlsOptions | undefined): void {
    for (const b of bound) this.server.adopt(b, { tls: tlsFor(b.url) })
  }

  /** Serves new TLS settings (a rotated certificate) to connections made from now on. */
  setSecureContext(options: ServerTlsOptions): void {
    this.server.setSecureContext(options)
  }

  async close(): Promise<void> {
    await this.server.tryShutdown(2000)
  }
}
