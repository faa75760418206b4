/**
 * A follower's line to the leader for lease requests that only the leader can answer
 * (renewals, remaining TTLs): JSON POSTs to the leader's peer URLs over HTTP/2, one session
 * per peer origin kept open between requests.
 */
import http2 from 'node:http2'
import { Errors } from '../../errors/rpctypes.js'
import { HEADER_CLUSTER_ID, idHex } from '../peer/handshake.js'
import { clientTlsOptions, loadTls, type PeerTlsOptions, type TlsMaterial } from '../peer/tls.js'

export const PATH_LEASE_RENEW = '/leases/renew'
export const PATH_LEASE_TTL = '/leases/ttl'

export interface LeaderClientOptions {
  clusterId: bigint
  /** A member's peer URLs. */
  peerUrls(id: bigint): readonly string[]
  tls?: PeerTlsOptions
}

export class LeaderClient {
  private readonly sessions = new Map<string, http2.ClientHttp2Session>()
  private tls?: Promise<TlsMaterial>
  private closed = false

  constructor(private readonly o: LeaderClientOptions) {}

  /**
   * POSTs `body` to `path` on the member's first peer URL that answers; the JSON answer of a
   * 200. A 404 is the leader saying the lease does not exist (Errors.LeaseNotFound).
   */
  async post(member: bigint, path: string, body: unknown, timeoutMs: number): Promise<unknown> {
    let last: Error = Errors.NoLeader
    for (const url of this.o.peerUrls(member)) {
      try {
        const r = await this.request(url, path, JSON.stringify(body), timeoutMs)
        if (r.status === 200) return JSON.parse(r.body)
        if (r.status === 404) throw Errors.LeaseNotFound
        last = new Error(`${path} on ${url}: HTTP ${r.status} ${r.body.trim()}`)
      } catch (err) {
        if (err === Errors.LeaseNotFound) throw err
        last = err as Error
      }
    }
    throw last
  }

  private async session(origin: string): Promise<http2.ClientHttp2Session> {
    const s = this.sessions.get(origin)
    if (s !== undefined && !s.closed && !s.destroyed) return s
    let opts = {}
    if (origin.startsWith('https:')) {
      if (this.o.tls === undefined) throw new Error(`peer URL ${origin} needs the peer TLS settings`)
      this.tls ??= loadTls(this.o.tls)
      opts = clientTlsOptions(await this.tls)
    }
    if (this.closed) throw Errors.Stopped
    const created = http2.connect(origin, opts)
    created.on('error', () => created.destroy())
    created.on('close', () => {
      if (this.sessions.get(origin) === created) this.sessions.delete(origin)
    })
    created.unref()
    this.sessions.set(origin, created)
    return created
  }

  private async request(url: string, path: string, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
    const session = await this.session(new URL(url).origin)
    return new Promise((resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json', [HEADER_CLUSTER_ID]: idHex(this.o.clusterId) })
      const timer = setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), Math.max(1, timeoutMs))
      let status = 0
      let text = ''
      req.setEncoding('utf8')
      req.on('response', (h) => (status = Number(h[':status'])))
      req.on('data', (d: string) => (text += d))
      req.on('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      req.on('close', () => {
        clearTimeout(timer)
        if (status === 0) reject(new Error(`${path} on ${url}: no answer within ${timeoutMs} ms`))
        else resolve({ status, body: text })
      })
      req.end(body)
    })
  }

  close(): void {
    this.closed = true
    for (const s of this.sessions.values()) s.destroy()
    this.sessions.clear()
  }
}
