/**
 * One remote member, seen from the sending side: its URLs, the HTTP/2 session to it (for
 * keepalive pings, snapshots and requests), the long-lived message stream (a connection of its
 * own, see stream-dial.ts; on the session for a member that predates those), and reconnection.
 *
 * States: idle (not started) → connecting → active ⇄ down (waiting out the backoff) → …;
 * stopped is final. Messages are queued while connecting or active, dropped while down.
 * Logging follows transitions only: "became active", "became inactive", the first failure to
 * reach a peer never reached, and a rejection whose reason changed; retries log at debug level.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type http2 from 'node:http2'
import type { Writable } from 'node:stream'
import type tls from 'node:tls'
import type { Message, NodeId } from '../../raft/types.js'
import { Backoff } from './backoff.js'
import { PATH_STREAM, STATUS_REMOVED, describeRejection, handshakeHeaders, idHex } from './handshake.js'
import { SESSION_WINDOW_BYTES, STREAM_WINDOW_BYTES } from './listener.js'
import { closedBeforeHandshake, dialStream } from './stream-dial.js'
import { StreamWriter } from './stream-writer.js'
import { clientTlsOptions, type TlsMaterial } from './tls.js'
import { connectPeer, isSecureUrl, isUnixUrl } from './url-schemes.js'
import type { BackoffOptions, QueueLimits, TransportLogger } from './types.js'

/** What a peer needs from its transport; `tls` is filled in when the transport starts. */
export interface PeerContext {
  memberId: NodeId
  clusterId: NodeId
  tls: TlsMaterial | undefined
  log: TransportLogger
  limits: QueueLimits
  backoff: BackoffOptions
  maxBatchBytes: number
  dialTimeoutMs: number
  keepAliveMs: number
  /** Messages to the peer were dropped. */
  onDropped(id: NodeId): void
  /** A peer refused this member as removed from the cluster. */
  onRemoved?(): void
  /** A keepalive ping to the peer was answered after `ms` milliseconds. */
  onRoundTrip?(id: NodeId, ms: number): void
}

export type PeerState = 'idle' | 'connecting' | 'active' | 'down' | 'stopped'

export interface PeerStatus {
  state: PeerState
  url: string
  activeSince: Date | undefined
  queuedMessages: number
  queuedBytes: number
  bufferedBytes: number
  sentMessages: number
  /** Bytes handed to the peer's stream. */
  sentBytes: number
  droppedMessages: number
  writes: number
}

class RejectedError extends Error {}

export class Peer {
  private urls: string[]
  private urlIndex = 0
  private state: PeerState = 'idle'
  private session: http2.ClientHttp2Session | undefined
  /** The message stream, once open; and the dial that opens it, while it runs. */
  private stream: (Writable & { destroy(): void }) | undefined
  private abortDial: (() => void) | undefined
  private readonly writer: StreamWriter
  private readonly backoff: Backoff
  private retryTimer: NodeJS.Timeout | undefined
  private dialTimer: NodeJS.Timeout | undefined
  private pingTimer: NodeJS.Timeout | undefined
  private pingOutstanding = false
  private since: Date | undefined
  /** A failure was already logged at warn level since the peer was last active. */
  private failureLogged = false
  private lastRejection: string | undefined

  constructor(
    readonly id: NodeId,
    urls: readonly string[],
    private readonly ctx: PeerContext,
  ) {
    if (urls.length === 0) throw new Error(`peer ${idHex(id)} has no URLs`)
    this.urls = [...urls]
    this.backoff = new Backoff(ctx.backoff)
    this.writer = new StreamWriter(ctx.limits, ctx.maxBatchBytes, (err) =>
      ctx.log.warn('failed to encode raft messages', { peer: idHex(id), error: err.message }),
    )
  }

  start(): void {
    if (this.state === 'idle') this.connect()
  }

  /** Queues `m` for the peer; false when it was dropped (peer down or queue full). */
  send(m: Message): boolean {
    if (this.state === 'active' || this.state === 'connecting') return this.writer.enqueue(m)
    this.writer.dropped++
    return false
  }

  /** Writes what is queued to the peer's stream. */
  flush(): void {
    this.writer.flush()
  }

  activeSince(): Date | undefined {
    return this.state === 'active' ? this.since : undefined
  }

  /** The session to the peer, while its message stream is up. */
  activeSession(): http2.ClientHttp2Session | undefined {
    return this.state === 'active' ? this.session : undefined
  }

  getUrls(): string[] {
    return [...this.urls]
  }

  status(): PeerStatus {
    return {
      state: this.state,
      url: this.currentUrl(),
      activeSince: this.activeSince(),
      queuedMessages: this.writer.queuedMessages,
      queuedBytes: this.writer.queuedBytes,
      bufferedBytes: this.writer.bufferedBytes,
      sentMessages: this.writer.sent,
      sentBytes: this.writer.sentBytes,
      droppedMessages: this.writer.dropped,
      writes: this.writer.writes,
    }
  }

  /** Replaces the URLs; a live connection is re-established against the new ones. */
  setUrls(urls: readonly string[]): void {
    if (urls.length === 0) throw new Error(`peer ${idHex(this.id)} has no URLs`)
    const same = urls.length === this.urls.length && urls.every((u, i) => u === this.urls[i])
    if (same) return
    this.urls = [...urls]
    this.urlIndex = 0
    if (this.state === 'idle' || this.state === 'stopped') return
    this.teardown(true)
    this.backoff.reset()
    this.connect()
  }

  stop(): void {
    if (this.state === 'stopped') return
    this.teardown(false)
    this.state = 'stopped'
    this.since = undefined
  }

  private currentUrl(): string {
    return this.urls[this.urlIndex % this.urls.length]
  }

  private connect(): void {
    this.retryTimer = undefined
    this.state = 'connecting'
    const url = this.currentUrl()
    let session: http2.ClientHttp2Session
    let u: URL
    let tlsOpts: tls.ConnectionOptions = {}
    try {
      u = new URL(url)
      if (u.protocol !== 'http:' && u.protocol !== 'https:' && !isUnixUrl(u))
        throw new Error(`unsupported peer URL scheme in ${url}`)
      if (isSecureUrl(u) && this.ctx.tls === undefined) throw new Error(`peer URL ${url} needs the peer TLS settings`)
      if (isSecureUrl(u)) tlsOpts = clientTlsOptions(this.ctx.tls!)
      session = connectPeer(u, tlsOpts, { settings: { initialWindowSize: STREAM_WINDOW_BYTES, enablePush: false } })
    } catch (err) {
      this.session = undefined
      this.fail(undefined, err as Error)
      return
    }
    this.session = session
    this.dialTimer = setTimeout(
      () => this.fail(session, new Error(`timed out after ${this.ctx.dialTimeoutMs} ms`)),
      this.ctx.dialTimeoutMs,
    )
    session.on('error', (err) => this.fail(session, err))
    session.on('close', () =>
      this.fail(session, this.state !== 'connecting' ? new Error('connection closed') : closedBeforeHandshake(u)),
    )
    session.on('goaway', () => this.fail(session, new Error('peer closed the connection (GOAWAY)')))
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(SESSION_WINDOW_BYTES)
      } catch {
        // closing already
      }
    })
    const ids = { from: this.ctx.memberId, to: this.id, clusterId: this.ctx.clusterId }
    this.abortDial = dialStream(u, tlsOpts, ids, (outcome) => {
      this.abortDial = undefined
      if (this.session !== session) {
        if (outcome.kind === 'open') outcome.socket.destroy()
        return
      }
      if (outcome.kind === 'failed') {
        this.fail(session, outcome.error)
      } else if (outcome.kind === 'open') {
        this.watch(session, outcome.socket)
        outcome.socket.resume() // the receiver writes nothing; its end is noticed
        this.onActive(session, url)
      } else if (outcome.kind === 'refused') {
        this.refused(session, outcome.status, outcome.headers)
      } else {
        this.requestStream(session, url)
      }
    })
  }

  /** The message stream on an HTTP/2 request: what a member that predates upgraded streams takes. */
  private requestStream(session: http2.ClientHttp2Session, url: string): void {
    const req = session.request(handshakeHeaders(PATH_STREAM, this.ctx.memberId, this.id, this.ctx.clusterId), {
      endStream: false,
    })
    this.watch(session, req)
    req.on('response', (headers) => {
      const status = Number(headers[':status'])
      if (status !== 200) this.refused(session, status, headers)
      else this.onActive(session, url)
    })
    req.resume()
  }

  /** Takes `stream` as the message stream: its failure is the peer's. */
  private watch(session: http2.ClientHttp2Session, stream: Writable & { destroy(): void }): void {
    this.stream = stream
    stream.on('error', (err) => this.fail(session, err))
    // a connection-level error (TLS alert, reset) explains a closed stream better; let it come first
    stream.on('close', () => setImmediate(() => this.fail(session, new Error('stream closed by peer'))))
  }

  private refused(session: http2.ClientHttp2Session, status: number, headers: IncomingHttpHeaders): void {
    if (status === STATUS_REMOVED) this.ctx.onRemoved?.()
    this.fail(session, new RejectedError(describeRejection(status, headers, this.ctx.clusterId)))
  }

  private onActive(session: http2.ClientHttp2Session, url: string): void {
    if (this.session !== session || this.stream === undefined) return
    clearTimeout(this.dialTimer)
    this.dialTimer = undefined
    this.state = 'active'
    this.since = new Date()
    this.backoff.reset()
    this.failureLogged = false
    this.lastRejection = undefined
    this.ctx.log.info('peer became active', { peer: idHex(this.id), url })
    this.writer.attach(this.stream)
    this.pingOutstanding = false
    this.pingTimer = setInterval(() => this.keepAlive(session), this.ctx.keepAliveMs)
    this.pingTimer.unref()
    // A first round trip right away: the peer's latency is known from the start.
    this.keepAlive(session)
  }

  private keepAlive(session: http2.ClientHttp2Session): void {
    if (this.session !== session) return
    if (this.pingOutstanding) {
      this.fail(session, new Error(`no keepalive answer within ${this.ctx.keepAliveMs} ms`))
      return
    }
    this.pingOutstanding = true
    try {
      session.ping((err, ms) => {
        this.pingOutstanding = false
        if (err) this.fail(session, err)
        else this.ctx.onRoundTrip?.(this.id, ms)
      })
    } catch (err) {
      this.fail(session, err as Error)
    }
  }

  /** Closes the connection and discards queued messages (reported when `report`). */
  private teardown(report: boolean): void {
    clearTimeout(this.retryTimer)
    clearTimeout(this.dialTimer)
    clearInterval(this.pingTimer)
    this.retryTimer = this.dialTimer = this.pingTimer = undefined
    this.abortDial?.()
    this.abortDial = undefined
    const dropped = this.writer.detach()
    this.stream?.destroy()
    this.stream = undefined
    const s = this.session
    this.session = undefined
    s?.destroy()
    if (report && dropped > 0) this.ctx.onDropped(this.id)
  }

  private fail(session: http2.ClientHttp2Session | undefined, err: Error): void {
    if (session !== this.session || this.state === 'stopped') return
    const wasActive = this.state === 'active'
    const url = this.currentUrl()
    this.teardown(true)
    this.state = 'down'
    this.since = undefined
    const fields = { peer: idHex(this.id), url, error: err.message }
    if (err instanceof RejectedError) {
      if (err.message !== this.lastRejection)
        this.ctx.log.warn('peer rejected the stream', { ...fields, error: `rejected: ${err.message}` })
      else this.ctx.log.debug('peer rejected the stream', fields)
      this.lastRejection = err.message
      this.failureLogged = true
    } else if (wasActive) {
      this.ctx.log.warn('peer became inactive', fields)
      this.failureLogged = true
    } else if (!this.failureLogged) {
      this.ctx.log.warn('cannot reach peer', fields)
      this.failureLogged = true
    } else {
      this.ctx.log.debug('cannot reach peer', fields)
    }
    if (this.urls.length > 1) this.urlIndex = (this.urlIndex + 1) % this.urls.length
    const delay = this.backoff.next()
    this.retryTimer = setTimeout(() => this.connect(), delay)
  }
}
