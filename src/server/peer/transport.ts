/**
 * PeerTransport: everything one member does on the network towards the other members.
 * See index.ts for the protocol.
 */
import type http from 'node:http'
import http2 from 'node:http2'
import type net from 'node:net'
import type { Message, NodeId } from '../../raft/types.js'
import { ETCD_VERSION } from '../../version.js'
import {
  HEADER_CLUSTER_ID,
  HEADER_MEMBER_ID,
  HEADER_REJECT_REASON,
  PATH_SNAPSHOT,
  PATH_STREAM,
  UPGRADE_TOKEN,
  checkHandshake,
  headerSafe,
  idHex,
  type LocalIdentity,
} from './handshake.js'
import { answerPost, apiResponse, postJson, type ApiContext, type PostAnswer, type PostRoutes } from './http-api.js'
import { PeerListener } from './listener.js'
import { Peer, type PeerContext, type PeerStatus } from './peer.js'
import { sendSnapshotStream } from './snapshot-sender.js'
import { receiveSnapshot } from './snapshot-receiver.js'
import { readMessageStream } from './stream-reader.js'
import { loadTls, type PeerTlsOptions } from './tls.js'
import type { BackoffOptions, MemberInfo, QueueLimits, RaftHandler, TransportLogger, VersionInfo } from './types.js'
import { acceptUpgrade, refuseUpgrade } from './upgrade-answer.js'

export interface PeerTransportOptions {
  memberId: NodeId
  clusterId: NodeId
  /** --listen-peer-urls; port 0 picks a free port (see `urls` after start). */
  listenUrls: readonly string[]
  /** Needed to listen on https:// URLs and to dial https:// peers. */
  tls?: PeerTlsOptions
  handler: RaftHandler
  /** The cluster's members, for GET /members. */
  members?: () => MemberInfo[]
  /** POST routes answered with JSON (lease requests forwarded to the leader). */
  postRoutes?: PostRoutes
  /** GET /version's answer (default: this build's etcd version for both). */
  version?: () => VersionInfo
  /** Members removed from the cluster: their streams are refused with 410 and the reason. */
  isRemoved?: (id: NodeId) => boolean
  /** A peer refused this member as removed from the cluster. */
  onRemoved?: () => void
  /** Accept streams from a member not (yet) in the peer list, e.g. one that is joining. */
  acceptUnknownPeer?: (id: NodeId) => boolean
  logger?: TransportLogger
  queue?: Partial<QueueLimits>
  backoff?: BackoffOptions
  /** Upper bound on one encoded write of queued messages (default 4 MiB). */
  maxBatchBytes?: number
  /** Largest message accepted on an incoming stream (default 64 MiB). */
  maxMessageBytes?: number
  /** Time allowed to connect and complete the stream handshake (default 1000 ms). */
  dialTimeoutMs?: number
  /** Ping interval on active sessions; a ping unanswered by the next one drops the session (default 10 s). */
  keepAliveMs?: number
  /** A snapshot transfer idle this long is abandoned (default 30 s). */
  snapshotIdleTimeoutMs?: number
  /** A keepalive ping to a peer was answered after `ms` milliseconds. */
  onRoundTrip?: (id: NodeId, ms: number) => void
}

/** Idle time before TCP keepalive probes an incoming message stream. */
const INBOUND_KEEPALIVE_MS = 30_000

const noLog: TransportLogger = { debug() {}, info() {}, warn() {} }

function defer(fn: () => void): void {
  queueMicrotask(fn)
}

function abandon(body: AsyncIterable<Uint8Array>): void {
  try {
    const r = body[Symbol.asyncIterator]().return?.()
    if (r !== undefined) void Promise.resolve(r).catch(() => {})
  } catch {
    // nothing to release
  }
}

export class PeerTransport {
  private readonly peers = new Map<NodeId, Peer>()
  /** Each peer's incoming message stream, by the function that closes it. */
  private readonly inbound = new Map<NodeId, () => void>()
  private readonly receiving = new Set<http2.ServerHttp2Stream>()
  private readonly snapshotsInFlight = new Set<NodeId>()
  private readonly unreachable = new Set<NodeId>()
  private readonly rejectionLogged = new Map<string, number>()
  private readonly ctx: PeerContext
  private readonly log: TransportLogger
  private readonly handler: RaftHandler
  private readonly identity: LocalIdentity
  private readonly api: ApiContext
  private listeners: PeerListener[] = []
  private started = false
  private stopped = false

  constructor(private readonly opts: PeerTransportOptions) {
    this.log = opts.logger ?? noLog
    this.handler = opts.handler
    this.ctx = {
      memberId: opts.memberId,
      clusterId: opts.clusterId,
      tls: undefined,
      log: this.log,
      limits: { maxMessages: opts.queue?.maxMessages ?? 4096, maxBytes: opts.queue?.maxBytes ?? 64 << 20 },
      backoff: opts.backoff ?? {},
      maxBatchBytes: opts.maxBatchBytes ?? 4 << 20,
      dialTimeoutMs: opts.dialTimeoutMs ?? 1000,
      keepAliveMs: opts.keepAliveMs ?? 10_000,
      onDropped: (id) => this.markUnreachable(id),
      onRoundTrip: opts.onRoundTrip,
      onRemoved: () => {
        if (!this.stopped) opts.onRemoved?.()
      },
    }
    this.identity = {
      memberId: opts.memberId,
      clusterId: opts.clusterId,
      accepts: (id) => this.peers.has(id) || (opts.acceptUnknownPeer?.(id) ?? false),
      removed: (id) => opts.isRemoved?.(id) ?? false,
    }
    this.api = {
      clusterId: opts.clusterId,
      members: opts.members,
      version: opts.version ?? (() => ({ etcdserver: ETCD_VERSION, etcdcluster: ETCD_VERSION })),
    }
  }

  /** The listening URLs, with the ports actually bound (after start). */
  get urls(): string[] {
    return this.listeners.map((l) => l.url)
  }

  /** Loads the TLS files, listens on every listen URL, and starts dialling the peers. */
  async start(): Promise<void> {
    if (this.started) throw new Error('peer transport already started')
    this.started = true
    if (this.opts.tls !== undefined) this.ctx.tls = await loadTls(this.opts.tls)
    const handlers = {
      onStream: (s: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders) => this.onStream(s, h),
      onRequest: (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res),
      onUpgrade: (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.onUpgrade(req, socket, head),
    }
    try {
      for (const u of this.opts.listenUrls)
        this.listeners.push(await PeerListener.listen(u, this.ctx.tls, handlers, this.log))
    } catch (err) {
      await Promise.all(this.listeners.map((l) => l.close()))
      this.listeners = []
      this.stopped = true
      throw err
    }
    if (this.stopped) return
    this.log.info('listening for peers', { member: idHex(this.opts.memberId), urls: this.urls })
    for (const p of this.peers.values()) p.start()
  }

  /**
   * Queues messages for their recipients and returns at once. Messages to a peer that is down,
   * or whose queue is full, are dropped and reported through `reportUnreachable`. A MsgSnap
   * carrying its data in `snapshot.data` is sent as a snapshot stream.
   */
  send(msgs: readonly Message[]): void {
    if (this.stopped) return
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]
      if (m.type === 'MsgSnap') {
        const data = m.snapshot?.data
        void this.sendSnapshot(m, sliceBody(data ?? new Uint8Array(0)))
        continue
      }
      const p = this.peers.get(m.to)
      if (p === undefined) {
        this.log.debug('dropped message to a member that is not a peer', { to: idHex(m.to), type: m.type })
        continue
      }
      if (!p.send(m)) this.markUnreachable(m.to)
    }
    // A Ready's messages leave before the rest of its handling (the WAL write, applying), as
    // one write per peer: the followers start on an append while the leader writes its own.
    for (const p of this.peers.values()) p.flush()
  }

  /**
   * Streams a MsgSnap with its data from `body` on a request of its own. Settles when the peer
   * has taken the snapshot (true) or the transfer failed (false), after telling the raft layer
   * through `reportSnapshot`. Never rejects.
   */
  async sendSnapshot(msg: Message, body: AsyncIterable<Uint8Array>): Promise<boolean> {
    const to = msg.to
    const fail = (why: string): false => {
      this.log.warn('failed to send snapshot', { peer: idHex(to), error: why })
      abandon(body)
      this.reportSnapshot(to, false)
      return false
    }
    if (this.stopped) return fail('transport stopped')
    const peer = this.peers.get(to)
    if (peer === undefined) return fail('not a peer')
    if (msg.type !== 'MsgSnap' || msg.snapshot === undefined) return fail(`not a MsgSnap with a snapshot (${msg.type})`)
    const session = peer.activeSession()
    if (session === undefined) {
      this.markUnreachable(to)
      return fail('peer is not connected')
    }
    if (this.snapshotsInFlight.has(to)) return fail('another snapshot to this peer is in flight')
    this.snapshotsInFlight.add(to)
    const started = Date.now()
    try {
      const r = await sendSnapshotStream(
        session,
        { from: this.opts.memberId, to, clusterId: this.opts.clusterId },
        msg,
        body,
        this.opts.snapshotIdleTimeoutMs ?? 30_000,
      )
      this.log.info('sent snapshot', {
        peer: idHex(to),
        index: msg.snapshot.metadata.index,
        bytes: r.bytes,
        ms: Date.now() - started,
      })
      this.reportSnapshot(to, true)
      return true
    } catch (err) {
      this.log.warn('failed to send snapshot', {
        peer: idHex(to),
        index: msg.snapshot.metadata.index,
        error: (err as Error).message,
      })
      this.reportSnapshot(to, false)
      return false
    } finally {
      this.snapshotsInFlight.delete(to)
    }
  }

  /**
   * The request API other modules use to reach a member (the leader, for leases): POSTs `body`
   * as JSON to one of its `postRoutes`, on the session of this transport's stream to it (so
   * with the peer TLS settings), and resolves with the answer. Rejects when the member is not
   * a connected peer or does not answer within `timeoutMs`.
   */
  post(member: NodeId, path: string, body: unknown, timeoutMs: number): Promise<PostAnswer> {
    if (this.stopped) return Promise.reject(new Error('transport stopped'))
    const session = this.peers.get(member)?.activeSession()
    if (session === undefined) return Promise.reject(new Error(`${path}: member ${idHex(member)} is not connected`))
    return postJson(session, this.opts.clusterId, path, body, timeoutMs)
  }

  addPeer(id: NodeId, urls: readonly string[]): void {
    if (id === this.opts.memberId) return
    const existing = this.peers.get(id)
    if (existing !== undefined) {
      existing.setUrls(urls)
      return
    }
    const p = new Peer(id, urls, this.ctx)
    this.peers.set(id, p)
    if (this.started && !this.stopped) p.start()
  }

  removePeer(id: NodeId): void {
    const p = this.peers.get(id)
    if (p === undefined) return
    this.peers.delete(id)
    p.stop()
    const close = this.inbound.get(id)
    if (close !== undefined) {
      this.inbound.delete(id)
      close()
    }
  }

  updatePeer(id: NodeId, urls: readonly string[]): void {
    const p = this.peers.get(id)
    if (p === undefined) throw new Error(`updatePeer: ${idHex(id)} is not a peer`)
    p.setUrls(urls)
  }

  hasPeer(id: NodeId): boolean {
    return this.peers.has(id)
  }

  peerIds(): NodeId[] {
    return [...this.peers.keys()]
  }

  /** Since when the stream to `id` has been up; undefined while it is not. */
  activeSince(id: NodeId): Date | undefined {
    return this.peers.get(id)?.activeSince()
  }

  peerStatus(id: NodeId): PeerStatus | undefined {
    return this.peers.get(id)?.status()
  }

  /** Closes every connection and listener; pending snapshot transfers fail. */
  async stop(): Promise<void> {
    if (this.stopped && this.listeners.length === 0) return
    this.stopped = true
    for (const p of this.peers.values()) p.stop()
    for (const close of this.inbound.values()) close()
    this.inbound.clear()
    for (const s of this.receiving) s.destroy()
    this.receiving.clear()
    const ls = this.listeners
    this.listeners = []
    await Promise.all(ls.map((l) => l.close()))
  }

  private markUnreachable(id: NodeId): void {
    if (this.unreachable.size === 0) {
      defer(() => {
        const ids = [...this.unreachable]
        this.unreachable.clear()
        if (this.stopped) return
        for (const x of ids) this.callHandler(() => this.handler.reportUnreachable(x))
      })
    }
    this.unreachable.add(id)
  }

  private reportSnapshot(id: NodeId, ok: boolean): void {
    defer(() => {
      if (!this.stopped) this.callHandler(() => this.handler.reportSnapshot(id, ok))
    })
  }

  private callHandler(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.log.warn('raft handler failed', { error: (err as Error).message })
    }
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const post = req.method === 'POST' ? this.opts.postRoutes?.get(req.url ?? '') : undefined
    if (post !== undefined) {
      void answerPost(req, req.headers[HEADER_CLUSTER_ID], post, this.opts.clusterId, (r) =>
        res.writeHead(r.status, r.headers).end(r.body),
      )
      return
    }
    const r = apiResponse(req.method ?? 'GET', req.url ?? '/', this.api) ?? {
      status: 404,
      headers: {},
      body: 'not found\n',
    }
    res.writeHead(r.status, r.headers)
    res.end(req.method === 'HEAD' ? undefined : r.body)
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', (err) => this.log.debug('peer stream error', { error: err.message }))
    const method = String(headers[':method'] ?? '')
    const path = String(headers[':path'] ?? '')
    const post = method === 'POST' ? this.opts.postRoutes?.get(path) : undefined
    if (post !== undefined) {
      void answerPost(stream, headers[HEADER_CLUSTER_ID], post, this.opts.clusterId, (r) => {
        if (stream.destroyed) return
        stream.respond({ ':status': r.status, ...r.headers })
        stream.end(r.body)
      })
      return
    }
    const api = apiResponse(method, path, this.api)
    if (api !== undefined) {
      stream.respond({ ':status': api.status, ...api.headers })
      stream.end(method === 'HEAD' ? undefined : api.body)
      return
    }
    if (method !== 'POST' || (path !== PATH_STREAM && path !== PATH_SNAPSHOT)) {
      refuse(stream, 404, `no such peer endpoint: ${method} ${path}`)
      return
    }
    if (this.stopped) {
      refuse(stream, 503, 'member is stopping')
      return
    }
    const hs = checkHandshake(headers, this.identity)
    if (!hs.ok) {
      this.logRejection(hs.reason, stream.session?.socket?.remoteAddress)
      refuse(stream, hs.status, hs.reason, this.identityHeaders())
      return
    }
    if (path === PATH_STREAM) this.acceptH2Stream(stream, hs.from)
    else this.acceptSnapshot(stream, hs.from)
  }

  /** Logs a refused handshake at warn level once a minute per reason, at debug level otherwise. */
  private logRejection(reason: string, remote: string | undefined): void {
    const now = Date.now()
    const last = this.rejectionLogged.get(reason)
    if (last === undefined || now - last > 60_000) {
      this.rejectionLogged.set(reason, now)
      this.log.warn('rejected peer stream', { reason, remote })
    } else {
      this.log.debug('rejected peer stream', { reason, remote })
    }
  }

  private identityHeaders(): Record<string, string> {
    return { [HEADER_MEMBER_ID]: idHex(this.opts.memberId), [HEADER_CLUSTER_ID]: idHex(this.opts.clusterId) }
  }

  /** A message stream asked for as an upgrade of an HTTP/1.1 connection (see stream-dial.ts). */
  private onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    socket.on('error', (err) => this.log.debug('peer stream error', { error: err.message }))
    const token = String(req.headers.upgrade ?? '').toLowerCase()
    if (req.method !== 'POST' || req.url !== PATH_STREAM || token !== UPGRADE_TOKEN) {
      refuseUpgrade(socket, 404, `no such peer endpoint: ${req.method} ${req.url} upgrading to ${token}`)
      return
    }
    if (this.stopped) {
      refuseUpgrade(socket, 503, 'member is stopping')
      return
    }
    const hs = checkHandshake(req.headers, this.identity)
    if (!hs.ok) {
      this.logRejection(hs.reason, socket.remoteAddress)
      refuseUpgrade(socket, hs.status, hs.reason, this.identityHeaders())
      return
    }
    acceptUpgrade(socket, this.identityHeaders())
    // The receiver never writes on the stream; TCP keepalive notices a sender gone without a word.
    socket.setKeepAlive(true, INBOUND_KEEPALIVE_MS)
    const close = (): void => void socket.destroy()
    this.acceptStream(hs.from, socket, close, close, head)
  }

  /** A message stream on an HTTP/2 request, as members before upgraded streams send. */
  private acceptH2Stream(stream: http2.ServerHttp2Stream, from: NodeId): void {
    stream.respond({ ':status': 200, ...this.identityHeaders() })
    this.acceptStream(
      from,
      stream,
      () => stream.close(http2.constants.NGHTTP2_CANCEL),
      () => stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR),
    )
  }

  /** Reads `source`'s messages; `close` ends the stream, `abort` ends it over malformed data. */
  private acceptStream(
    from: NodeId,
    source: net.Socket | http2.ServerHttp2Stream,
    close: () => void,
    abort: () => void,
    head?: Buffer,
  ): void {
    const previous = this.inbound.get(from)
    this.inbound.set(from, close)
    previous?.()
    this.log.debug('accepted stream from peer', { peer: idHex(from) })
    readMessageStream(
      source,
      abort,
      from,
      this.opts.maxMessageBytes ?? 64 << 20,
      (m) => this.handler.onMessage(m),
      this.log,
      head,
    )
    source.on('close', () => {
      if (this.inbound.get(from) === close) this.inbound.delete(from)
    })
  }

  private acceptSnapshot(stream: http2.ServerHttp2Stream, from: NodeId): void {
    this.receiving.add(stream)
    stream.on('close', () => this.receiving.delete(stream))
    const started = Date.now()
    receiveSnapshot(stream, from, this.handler).then(
      (msg) => {
        if (this.stopped) return
        this.log.info('received snapshot', {
          peer: idHex(from),
          index: msg.snapshot?.metadata.index,
          ms: Date.now() - started,
        })
        this.callHandler(() => this.handler.onMessage(msg))
        if (!stream.destroyed && !stream.headersSent) {
          stream.respond({ ':status': 200 })
          stream.end()
        }
      },
      (err: Error) => {
        if (this.stopped) return
        this.log.warn('failed to receive snapshot', { peer: idHex(from), error: err.message })
        refuse(stream, 500, err.message)
      },
    )
  }
}

/** Answers with an error status and reason, then resets the stream so the sender stops writing. */
function refuse(
  stream: http2.ServerHttp2Stream,
  status: number,
  reason: string,
  extra: http2.OutgoingHttpHeaders = {},
): void {
  if (stream.destroyed || stream.closed) return
  if (!stream.headersSent) {
    stream.respond({
      ':status': status,
      'content-type': 'text/plain; charset=utf-8',
      [HEADER_REJECT_REASON]: headerSafe(reason),
      ...extra,
    })
    stream.end(reason + '\n')
  }
  stream.close(http2.constants.NGHTTP2_NO_ERROR)
}

/** A snapshot's in-memory data as a body of ≤1 MiB views. */
async function* sliceBody(data: Uint8Array): AsyncGenerator<Uint8Array> {
  const step = 1 << 20
  for (let off = 0; off < data.byteLength; off += step) yield data.subarray(off, Math.min(data.byteLength, off + step))
}
