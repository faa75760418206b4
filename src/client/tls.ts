/**
 * Transport security per endpoint, for EtcdClient: the channel credentials (plain or TLS
 * from etcdctl's flags), what went wrong in the TLS handshakes, and the reason to give when
 * the endpoint could not be reached.
 */
import * as grpc from '@grpc/grpc-js'
import { RecordingTlsCredentials, type TlsFailure } from './tls-credentials.js'
import { explainTlsFailure } from './tls-errors.js'
import { loadClientTls, type ClientTlsFiles, type ClientTlsMaterial } from './tls-material.js'
import { speaksTls } from './tls-probe.js'

export { TlsFileError, loadClientTls, type ClientTlsFiles, type ClientTlsMaterial } from './tls-material.js'
export { explainTlsFailure } from './tls-errors.js'
export type { TlsFailure } from './tls-credentials.js'

/** `host` and `port` of a grpc target (`host:port`, `[v6]:port`); undefined for unix sockets. */
export function splitTarget(target: string): { host: string; port: number } | undefined {
  if (target.startsWith('unix:')) return undefined
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(target)
  return m ? { host: m[1], port: Number(m[2]) } : undefined
}

export class EndpointSecurity {
  private lastFailure?: TlsFailure
  private creds?: grpc.ChannelCredentials

  constructor(
    readonly target: string,
    readonly secure: boolean,
    private readonly material: ClientTlsMaterial | undefined,
  ) {}

  /** For all endpoints of a client: the TLS files are read once, and only if some endpoint uses TLS. */
  static forEndpoints(
    eps: { target: string; secure: boolean }[],
    files: ClientTlsFiles | undefined,
  ): EndpointSecurity[] {
    const material = eps.some((e) => e.secure) ? loadClientTls(files ?? {}) : undefined
    return eps.map((e) => new EndpointSecurity(e.target, e.secure, material))
  }

  credentials(): grpc.ChannelCredentials {
    if (!this.creds) {
      const host = splitTarget(this.target)?.host ?? 'localhost'
      this.creds =
        this.secure && this.material
          ? new RecordingTlsCredentials(host, this.material, (f) => (this.lastFailure = f))
          : grpc.credentials.createInsecure()
    }
    return this.creds
  }

  /** The latest TLS failure on this endpoint, explained; undefined when there was none. */
  tlsReason(): string | undefined {
    return this.lastFailure && this.material ? explainTlsFailure(this.lastFailure, this.material) : undefined
  }

  /** Why a dial failed, when TLS (or its absence) is the reason. */
  async dialFailureReason(): Promise<string | undefined> {
    if (this.secure) return this.tlsReason()
    const hp = splitTarget(this.target)
    if (hp && (await speaksTls(hp.host, hp.port))) {
      return 'the server expects TLS: use an https:// endpoint (with --cacert, and --cert and --key if it asks for a client certificate)'
    }
    return undefined
  }
}

/** "context deadline exceeded", followed by each endpoint's TLS reason when there is one. */
export async function dialFailureMessage(
  base: string,
  endpoints: { name: string; security: EndpointSecurity }[],
): Promise<string> {
  const reasons = await Promise.all(
    endpoints.map(async (e) => {
      const r = await e.security.dialFailureReason().catch(() => undefined)
      return r === undefined ? undefined : `${e.name}: ${r}`
    }),
  )
  const found = reasons.filter((r): r is string => r !== undefined)
  return found.length === 0 ? base : `${base}: ${found.join('; ')}`
}
