/**
 * The server side of an HTTP/2 connection (RFC 9113) for gRPC, framed by tsetcd itself rather
 * than node's HTTP/2: a request is a header block and DATA for one stream, a response is a
 * header block, DATA and trailers, and everything sent in one turn of the event loop leaves
 * in one socket write (node's HTTP/2 sends trailers a turn later, in a write of their own).
 *
 * Flow control both ways: the client's windows (connection and stream) bound what is sent,
 * and response DATA waits in its stream until they open; the client gets window back as its
 * DATA is handed on (a paused stream's only when it resumes). Pings are answered (the ACK
 * leaves with the next output, or 1 ms later), GOAWAY ends the connection once its streams
 * are done, and protocol errors close it with GOAWAY.
 *
 * The AuthorityGate reads the client preface, sends our SETTINGS and reads up to the first
 * request before it hands the connection over with the frames it has read (`start`).
 */
import type net from 'node:net'
import type { IncomingHttpHeaders } from 'node:http2'
import {
  ErrorCode,
  F,
  FRAME_HEADER_BYTES,
  FrameError,
  FrameSplitter,
  HeaderBlockAssembler,
  T,
  frameBuffer,
  frameHeader,
  goaway,
  headerFrames,
  rstStream,
  windowUpdate,
  writeFrameHeader,
  type Frame,
  type HeaderBlockFrames,
} from './h2-frames.js'
import { HpackDecoder, HpackError, type HeaderField } from './hpack.js'
import { H2Stream } from './h2-stream.js'
import { readIntoShared } from './shared-read.js'

/** The window every connection and stream starts with (RFC 9113 6.9.2). */
const DEFAULT_WINDOW = 65535
const MAX_WINDOW = 2 ** 31 - 1
/** Output up to this size is joined into one buffer; more goes out as a vectored write. */
const JOIN_BYTES = 64 * 1024
/** DATA frames this small are built in one buffer with their header. */
const SMALL_FRAME_BYTES = 1024

const SETTINGS_ACK = frameHeader(0, T.SETTINGS, F.ACK, 0)

/**
 * How long a PING's ACK may wait for other output to leave with. gRPC clients ping as they
 * read a response (grpc-go's bandwidth estimator) and then send their next request; an ACK
 * written on its own is a socket write made while that request is being served, and on
 * loopback one costs tens of microseconds. Node's timers count whole milliseconds, so an ACK
 * waits between ACK_HOLD_MS - 1 and ACK_HOLD_MS: long enough for the answer to a put at three
 * members to carry it.
 */
const ACK_HOLD_MS = 2

/**
 * Streams a client may reset before their response, in a burst and then per second, as
 * nghttp2's defaults: past that, the connection is closed with ENHANCE_YOUR_CALM (a client
 * that opens and resets streams without end makes the server start work it never answers:
 * the "rapid reset" attack).
 */
const RESET_BURST = 1000
const RESETS_PER_SECOND = 33

export interface H2ConnectionOptions {
  /** Each stream's receive window, as our SETTINGS said (SETTINGS_INITIAL_WINDOW_SIZE). */
  initialWindowSize: number
  /** The connection's receive window. */
  connectionWindowSize: number
  /** Streams open at once; more are refused (REFUSED_STREAM). */
  maxConcurrentStreams: number
}

/** A new request: its stream and its header fields (node's shape: duplicates joined). */
export type StreamHandler = (stream: H2Stream, headers: IncomingHttpHeaders, conn: H2Connection) => void

/** What the gate read before it handed the connection over. */
export interface GateState {
  splitter: FrameSplitter
  assembler: HeaderBlockAssembler
  decoder: HpackDecoder
}

/** The first request's header block, already decoded by the gate. */
export interface FirstBlock {
  block: HeaderBlockFrames
  fields: HeaderField[]
}

export class H2Connection {
  /** Called for every PING the client sends (not acks). */
  onPeerPing: (() => void) | null = null
  /**
   * Streams started, and HEADERS and DATA frames sent, so far: activity forgives a client's
   * pings (keepalive.ts), as grpc-go's sending does (a Go client pings to size its window while
   * a large answer streams to it).
   */
  activity = 0
  private readonly streams = new Map<number, H2Stream>()
  private lastStreamId = 0
  private sendWindow = DEFAULT_WINDOW
  private recvWindow = DEFAULT_WINDOW
  private recvCredit = 0
  private peerInitialWindow = DEFAULT_WINDOW
  private peerMaxFrame = 16384
  private pending: Buffer[] = []
  private spare: Buffer[] = []
  private pendingBytes = 0
  private flushScheduled = false
  /** Streams with DATA waiting for the connection's window or a writable socket. */
  private readonly blocked = new Set<H2Stream>()
  /** Streams whose response ended while the client was still sending: reset at the flush. */
  private finishing: H2Stream[] = []
  private congested = false
  /** We sent GOAWAY: no new streams; the connection ends with its last stream. */
  private goingAway = false
  private closed = false
  /** onClose was called. */
  private released = false
  private pingAck: (() => void) | null = null
  /** @internal PING ACKs wait in `pending` for other output (see holdAck). */
  ackHeld = false
  private resetTokens = RESET_BURST
  private resetTokensAt = 0
  private readonly splitter: FrameSplitter
  private readonly assembler: HeaderBlockAssembler
  private readonly decoder: HpackDecoder

  constructor(
    readonly socket: net.Socket,
    private readonly opts: H2ConnectionOptions,
    private readonly onStream: StreamHandler,
    private readonly onClose: (conn: H2Connection) => void,
    gate: GateState,
  ) {
    this.splitter = gate.splitter
    this.assembler = gate.assembler
    this.decoder = gate.decoder
  }

  /**
   * Takes the connection over: the frames the gate read before the first header block, that
   * block (if one came), and the frames after it; then reads the socket.
   */
  start(before: Frame[], first: FirstBlock | null, after: Frame[]): void {
    const s = this.socket
    if (s.destroyed) {
      // The client left while at the gate: 'close' has come and gone.
      this.onSocketClose()
      return
    }
    // Anything node read before the switch comes as 'data'; the rest into the shared buffer.
    s.on('data', this.onData)
    readIntoShared(s, this.onSharedRead)
    s.on('drain', this.onDrain)
    s.once('close', this.onSocketClose)
    s.on('error', ignore)
    if (typeof s.setNoDelay === 'function') s.setNoDelay(true)
    const grow = this.opts.connectionWindowSize - DEFAULT_WINDOW
    if (grow > 0) {
      this.recvWindow += grow
      this.out(windowUpdate(0, grow))
    }
    // These came before any header block: the assembler may be inside one begun since.
    this.frames(before, true)
    if (first !== null && !this.closed) this.headerBlock(first.block, first.fields)
    this.frames(after)
    s.resume()
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Who is at the other end, as "address:port". */
  get peer(): string {
    const s = this.socket
    if (!s.remoteAddress) return 'unknown'
    return s.remotePort ? `${s.remoteAddress}:${s.remotePort}` : s.remoteAddress
  }

  /** Graceful close: GOAWAY now, the socket ends once the open streams are done. */
  close(): void {
    if (this.closed || this.goingAway) return
    this.goingAway = true
    this.out(goaway(ErrorCode.NO_ERROR, this.lastStreamId))
    if (this.streams.size === 0) this.endSocket()
  }

  /** Closes the connection now; open streams hear 'closed'. */
  destroy(): void {
    if (this.closed) return
    this.socket.destroy()
    this.onSocketClose()
  }

  /** GOAWAY with `code` and debug data, then the connection closes (keepalive's too_many_pings). */
  goaway(code: number, debug: string): void {
    if (this.closed) return
    this.goingAway = true
    this.out(goaway(code, this.lastStreamId, Buffer.from(debug)))
    this.endSocket()
  }

  /** Sends a PING; false if one is already waiting for its ack or the connection is gone. */
  ping(onAck: () => void): boolean {
    if (this.closed || this.pingAck !== null) return false
    this.pingAck = onAck
    this.out(frameBuffer(8, T.PING, 0, 0).fill(0, FRAME_HEADER_BYTES))
    return true
  }

  // ---- sending (used by H2Stream)

  /** @internal */
  sendHeaders(stream: H2Stream, block: Buffer, endStream: boolean): void {
    this.activity++
    this.out(headerFrames(stream.id, endStream, null, block, this.peerMaxFrame))
  }

  /** @internal Frames what the windows allow of the stream's queue; trailers once it is empty. */
  flushStream(s: H2Stream): void {
    if (this.closed || s.gone) return
    while (s.queuedBytes > 0) {
      if (this.congested || this.sendWindow <= 0) {
        this.blocked.add(s)
        return
      }
      const n = Math.min(this.sendWindow, s.sendWindow, this.peerMaxFrame, s.queuedBytes)
      if (n <= 0) return
      this.dataFrame(s, n)
      this.sendWindow -= n
      s.sendWindow -= n
      s.sent(n)
      if (s.gone) return
    }
    if (s.trailers !== null && !s.localClosed) {
      this.activity++
      this.out(headerFrames(s.id, true, null, s.trailers, this.peerMaxFrame))
      this.localEnd(s)
    }
  }

  /** @internal We ended the stream (END_STREAM sent). */
  localEnd(s: H2Stream): void {
    s.localClosed = true
    this.blocked.delete(s)
    if (s.remoteClosed) this.remove(s)
    else this.finishing.push(s)
  }

  /** @internal A resumed stream gives the client the window it held back. */
  returnCredit(s: H2Stream): void {
    if (s.gone || s.remoteClosed || s.recvCredit === 0) return
    this.out(windowUpdate(s.id, s.recvCredit))
    s.recvWindow += s.recvCredit
    s.recvCredit = 0
  }

  /** One DATA frame of n bytes from the head of the stream's queue. */
  private dataFrame(s: H2Stream, n: number): void {
    this.activity++
    const q = s.queue
    const first = q[0]!
    const headLeft = first.length - s.head
    if (headLeft === n && s.head === FRAME_HEADER_BYTES && s.starts[0] === FRAME_HEADER_BYTES) {
      // All of a buffer queued with room for the header (writeWithRoom): it leaves as it is.
      writeFrameHeader(first, n, T.DATA, 0, s.id)
      this.out(first)
    } else if (headLeft >= n && n > SMALL_FRAME_BYTES) {
      this.out(frameHeader(n, T.DATA, 0, s.id))
      this.out(first.subarray(s.head, s.head + n))
    } else {
      const f = frameBuffer(n, T.DATA, 0, s.id)
      let at = FRAME_HEADER_BYTES
      let left = n
      let i = 0
      let head = s.head
      while (left > 0) {
        const b = q[i]!
        const take = Math.min(b.length - head, left)
        b.copy(f, at, head, head + take)
        at += take
        left -= take
        head += take
        if (head === b.length) {
          i++
          head = s.starts[i] ?? 0
        }
      }
      this.out(f)
      // Fully sent chunks leave the queue below.
    }
    let left = n
    while (left > 0) {
      const b = q[0]!
      const rest = b.length - s.head
      if (rest <= left) {
        left -= rest
        q.shift()
        s.starts.shift()
        s.head = s.starts[0] ?? 0
      } else {
        s.head += left
        left = 0
      }
    }
  }

  private out(b: Buffer): void {
    if (this.closed) return
    this.pending.push(b)
    this.pendingBytes += b.length
    if (!this.flushScheduled) {
      this.flushScheduled = true
      process.nextTick(flushConnection, this)
    }
  }

  /** @internal Everything sent this turn, in one write. */
  flushOut(): void {
    this.flushScheduled = false
    this.stopHoldingAck()
    if (this.finishing.length > 0) {
      const done = this.finishing
      this.finishing = []
      for (const s of done) {
        if (s.gone || s.remoteClosed) continue
        // The response is complete and the client is still sending: as grpc-go, say we
        // read no more (RST_STREAM NO_ERROR) rather than keep the stream half open.
        const rst = rstStream(s.id, ErrorCode.NO_ERROR)
        this.pending.push(rst)
        this.pendingBytes += rst.length
        s.remoteClosed = true
        this.remove(s)
      }
    }
    const p = this.pending
    if (p.length === 0 || this.closed) return
    // Two lists in turn: output made while this one is written (a 'drain', an error) goes to
    // the other.
    this.pending = this.spare
    const bytes = this.pendingBytes
    this.pendingBytes = 0
    let ok: boolean
    if (p.length === 1) ok = this.socket.write(p[0]!)
    else if (bytes <= JOIN_BYTES) ok = this.socket.write(Buffer.concat(p, bytes))
    else {
      this.socket.cork()
      for (const b of p) this.socket.write(b)
      ok = !this.socket.writableNeedDrain
      this.socket.uncork()
    }
    p.length = 0
    this.spare = p
    if (!ok) this.congested = true
  }

  private readonly onDrain = (): void => {
    if (!this.congested) return
    this.congested = false
    this.flushBlocked()
  }

  private flushBlocked(): void {
    if (this.blocked.size === 0) return
    const streams = [...this.blocked]
    this.blocked.clear()
    for (const s of streams) {
      this.flushStream(s)
      if (this.congested || this.sendWindow <= 0) {
        // The rest wait for the next window or drain, in the same order.
        for (const r of streams) if (!r.gone && r.queuedBytes > 0) this.blocked.add(r)
        return
      }
    }
  }

  private remove(s: H2Stream): void {
    if (s.gone) return
    s.gone = true
    this.streams.delete(s.id)
    this.blocked.delete(s)
    if (s.queuedBytes > 0) s.dropQueue()
    if (this.goingAway && this.streams.size === 0) this.endSocket()
  }

  private endSocket(): void {
    if (this.closed) return
    this.flushOut()
    this.closed = true
    this.socket.end()
    // A client that never closes its side would keep the socket half open.
    const t = setTimeout(() => this.socket.destroy(), 5000)
    t.unref()
    this.socket.once('close', () => clearTimeout(t))
    this.closeStreams()
  }

  // ---- receiving

  private readonly onData = (chunk: Buffer): void => {
    this.read(chunk, false)
  }

  private readonly onSharedRead = (chunk: Buffer): void => {
    this.read(chunk, true)
  }

  /** `borrowed`: the chunk is a view of the shared read buffer (see shared-read.ts). */
  private read(chunk: Buffer, borrowed: boolean): void {
    let frames: Frame[]
    try {
      frames = this.splitter.push(chunk, borrowed)
    } catch {
      this.fail(ErrorCode.FRAME_SIZE_ERROR)
      return
    }
    this.frames(frames)
    // Every frame was handled (DATA is copied into each message's own buffer), except a
    // header block that waits for its CONTINUATION frames.
    if (borrowed) this.assembler.keep()
  }

  private frames(frames: Frame[], control = false): void {
    for (let i = 0; i < frames.length && !this.closed; i++) {
      try {
        if (control) this.control(frames[i]!)
        else this.frame(frames[i]!)
      } catch (err) {
        if (err instanceof FrameError) this.fail(ErrorCode.PROTOCOL_ERROR)
        else if (err instanceof HpackError) this.fail(ErrorCode.COMPRESSION_ERROR)
        else throw err
      }
    }
  }

  private frame(f: Frame): void {
    if (f.type === T.HEADERS || f.type === T.CONTINUATION || this.assembler.inBlock) {
      const block = this.assembler.add(f)
      if (block !== null) this.headerBlock(block, this.decoder.decode(block.fragment).fields)
      return
    }
    this.control(f)
  }

  /** A frame that is not part of a header block. */
  private control(f: Frame): void {
    switch (f.type) {
      case T.DATA:
        this.data(f)
        return
      case T.WINDOW_UPDATE:
        this.windowUpdate(f)
        return
      case T.PING:
        this.pingFrame(f)
        return
      case T.SETTINGS:
        this.settings(f)
        return
      case T.RST_STREAM:
        this.rst(f)
        return
      case T.GOAWAY:
        if (f.streamId !== 0) throw new FrameError('GOAWAY on a stream')
        this.goingAway = true
        if (this.streams.size === 0) this.endSocket()
        return
      case T.PRIORITY:
        if (f.streamId === 0) throw new FrameError('PRIORITY on stream 0')
        return
      case T.PUSH_PROMISE:
        throw new FrameError('PUSH_PROMISE from a client')
      default:
      // Unknown frame types are ignored (RFC 9113 5.5).
    }
  }

  private headerBlock(block: HeaderBlockFrames, fields: HeaderField[]): void {
    const id = block.streamId
    const existing = this.streams.get(id)
    if (existing !== undefined) {
      // Trailers from the client: they must end its side.
      if (existing.remoteClosed || !block.endStream) this.resetStream(existing, ErrorCode.PROTOCOL_ERROR)
      else this.remoteEnd(existing)
      return
    }
    if (id % 2 === 0 || id <= this.lastStreamId) throw new FrameError(`HEADERS opening stream ${id}`)
    this.lastStreamId = id
    if (this.goingAway || this.streams.size >= this.opts.maxConcurrentStreams) {
      this.out(rstStream(id, ErrorCode.REFUSED_STREAM))
      return
    }
    const headers = requestHeaders(fields)
    if (headers === null) {
      this.out(rstStream(id, ErrorCode.PROTOCOL_ERROR))
      return
    }
    const s = new H2Stream(id, this, this.opts.initialWindowSize, this.peerInitialWindow)
    this.streams.set(id, s)
    this.activity++
    this.onStream(s, headers, this)
    if (block.endStream && !s.gone) this.remoteEnd(s)
  }

  private data(f: Frame): void {
    const id = f.streamId
    if (id === 0) throw new FrameError('DATA on stream 0')
    const flow = f.payload.length
    let data = f.payload
    if (f.flags & F.PADDED) {
      const pad = flow > 0 ? data[0]! : 0
      if (flow === 0 || pad >= flow) throw new FrameError('DATA padding longer than the frame')
      data = data.subarray(1, flow - pad)
    }
    if (flow > this.recvWindow) {
      this.fail(ErrorCode.FLOW_CONTROL_ERROR)
      return
    }
    // The connection's window comes back at once: a stream's own window bounds its backlog.
    this.recvWindow -= flow
    this.recvCredit += flow
    if (this.recvCredit >= this.opts.connectionWindowSize / 2) {
      this.out(windowUpdate(0, this.recvCredit))
      this.recvWindow += this.recvCredit
      this.recvCredit = 0
    }
    const s = this.streams.get(id)
    if (s === undefined) {
      if (id > this.lastStreamId) throw new FrameError(`DATA on idle stream ${id}`)
      return // a stream we already ended or reset
    }
    if (s.remoteClosed) {
      this.resetStream(s, ErrorCode.STREAM_CLOSED)
      return
    }
    if (flow > s.recvWindow) {
      this.resetStream(s, ErrorCode.FLOW_CONTROL_ERROR)
      return
    }
    s.recvWindow -= flow
    s.recvCredit += flow
    if (!s.paused && s.recvCredit >= this.opts.initialWindowSize / 2 && !(f.flags & F.END_STREAM)) this.returnCredit(s)
    if (data.length > 0) s.receiver?.receive(data)
    if (f.flags & F.END_STREAM && !s.gone) this.remoteEnd(s)
  }

  private remoteEnd(s: H2Stream): void {
    s.remoteClosed = true
    s.receiver?.halfClosed()
    if (s.localClosed) this.remove(s)
  }

  private windowUpdate(f: Frame): void {
    if (f.payload.length !== 4) throw new FrameError('WINDOW_UPDATE of the wrong size')
    const inc = f.payload.readUInt32BE(0) & 0x7fffffff
    if (f.streamId === 0) {
      if (inc === 0) throw new FrameError('WINDOW_UPDATE of 0')
      this.sendWindow += inc
      if (this.sendWindow > MAX_WINDOW) {
        this.fail(ErrorCode.FLOW_CONTROL_ERROR)
        return
      }
      this.flushBlocked()
      return
    }
    const s = this.streams.get(f.streamId)
    if (s === undefined) return
    if (inc === 0) {
      this.resetStream(s, ErrorCode.PROTOCOL_ERROR)
      return
    }
    s.sendWindow += inc
    if (s.sendWindow > MAX_WINDOW) {
      this.resetStream(s, ErrorCode.FLOW_CONTROL_ERROR)
      return
    }
    this.flushStream(s)
  }

  private pingFrame(f: Frame): void {
    if (f.streamId !== 0) throw new FrameError('PING on a stream')
    if (f.payload.length !== 8) {
      this.fail(ErrorCode.FRAME_SIZE_ERROR)
      return
    }
    if (f.flags & F.ACK) {
      const ack = this.pingAck
      this.pingAck = null
      ack?.()
      return
    }
    const reply = frameBuffer(8, T.PING, F.ACK, 0)
    f.payload.copy(reply, FRAME_HEADER_BYTES)
    this.hold(reply)
    this.onPeerPing?.()
  }

  /** Output that leaves with the next write, or within ACK_HOLD_MS if none comes first. */
  private hold(b: Buffer): void {
    if (this.closed) return
    this.pending.push(b)
    this.pendingBytes += b.length
    if (!this.flushScheduled && !this.ackHeld) holdAck(this)
  }

  private stopHoldingAck(): void {
    if (this.ackHeld) releaseAck(this)
  }

  private settings(f: Frame): void {
    if (f.streamId !== 0) throw new FrameError('SETTINGS on a stream')
    const p = f.payload
    if (f.flags & F.ACK) {
      if (p.length !== 0) this.fail(ErrorCode.FRAME_SIZE_ERROR)
      return
    }
    if (p.length % 6 !== 0) {
      this.fail(ErrorCode.FRAME_SIZE_ERROR)
      return
    }
    let grew = false
    for (let o = 0; o < p.length; o += 6) {
      const id = p.readUInt16BE(o)
      const v = p.readUInt32BE(o + 2)
      if (id === 2 && v > 1) throw new FrameError('SETTINGS_ENABLE_PUSH above 1')
      if (id === 4) {
        if (v > MAX_WINDOW) {
          this.fail(ErrorCode.FLOW_CONTROL_ERROR)
          return
        }
        const delta = v - this.peerInitialWindow
        this.peerInitialWindow = v
        for (const s of this.streams.values()) s.sendWindow += delta
        if (delta > 0) grew = true
      } else if (id === 5) {
        if (v < 16384 || v > 16777215) throw new FrameError('SETTINGS_MAX_FRAME_SIZE out of range')
        this.peerMaxFrame = v
      }
      // HEADER_TABLE_SIZE: our encoder never uses the dynamic table. The others are advisory.
    }
    this.out(SETTINGS_ACK)
    if (grew) for (const s of this.streams.values()) if (s.queuedBytes > 0) this.flushStream(s)
  }

  private rst(f: Frame): void {
    if (f.payload.length !== 4) {
      this.fail(ErrorCode.FRAME_SIZE_ERROR)
      return
    }
    if (f.streamId === 0) throw new FrameError('RST_STREAM on stream 0')
    const s = this.streams.get(f.streamId)
    if (s === undefined) {
      if (f.streamId > this.lastStreamId) throw new FrameError('RST_STREAM on an idle stream')
      return
    }
    s.remoteClosed = true
    s.localClosed = true
    this.remove(s)
    s.receiver?.closed()
    if (!this.takeResetToken()) this.goaway(ErrorCode.ENHANCE_YOUR_CALM, 'too_many_resets')
  }

  /** False once the client reset more streams than RESET_BURST and RESETS_PER_SECOND allow. */
  private takeResetToken(): boolean {
    const now = Date.now()
    this.resetTokens = Math.min(RESET_BURST, this.resetTokens + ((now - this.resetTokensAt) * RESETS_PER_SECOND) / 1000)
    this.resetTokensAt = now
    if (this.resetTokens < 1) return false
    this.resetTokens--
    return true
  }

  /** A stream error: RST_STREAM, and the call hears its stream closed. */
  private resetStream(s: H2Stream, code: number): void {
    this.out(rstStream(s.id, code))
    s.remoteClosed = true
    s.localClosed = true
    this.remove(s)
    s.receiver?.closed()
  }

  /** A connection error: GOAWAY with the code, then the connection closes. */
  private fail(code: number): void {
    if (this.closed) return
    this.goingAway = true
    this.out(goaway(code, this.lastStreamId))
    this.endSocket()
  }

  private readonly onSocketClose = (): void => {
    if (!this.closed) {
      this.closed = true
      this.pending = []
      this.stopHoldingAck()
      this.closeStreams()
    }
    if (this.released) return
    this.released = true
    this.socket.removeListener('data', this.onData)
    this.socket.removeListener('drain', this.onDrain)
    this.onClose(this)
  }

  private closeStreams(): void {
    const open = [...this.streams.values()]
    this.streams.clear()
    this.blocked.clear()
    for (const s of open) {
      s.gone = true
      s.dropQueue()
      s.receiver?.closed()
    }
  }
}

function flushConnection(c: H2Connection): void {
  c.flushOut()
}

/**
 * Connections holding PING ACKs, and one timer for all of them that writes what they hold
 * ACK_HOLD_MS after the first began to wait (a client pings on each connection as it reads,
 * so with a timer each, every watch event cost a timer per connection).
 */
const holdingAcks = new Set<H2Connection>()
let ackTimer: NodeJS.Timeout | null = null

function holdAck(c: H2Connection): void {
  c.ackHeld = true
  holdingAcks.add(c)
  ackTimer ??= setTimeout(flushHeldAcks, ACK_HOLD_MS)
}

function releaseAck(c: H2Connection): void {
  c.ackHeld = false
  holdingAcks.delete(c)
  if (holdingAcks.size === 0 && ackTimer !== null) {
    clearTimeout(ackTimer)
    ackTimer = null
  }
}

function flushHeldAcks(): void {
  ackTimer = null
  for (const c of [...holdingAcks]) c.flushOut()
}

function ignore(): void {}

const PSEUDO_REQUEST = new Set([':method', ':scheme', ':path', ':authority'])

/**
 * A request's fields as node's HTTP/2 gives them (an object; repeated fields joined with
 * ", "), or null when malformed: an unknown or late pseudo-header, an upper-case name, or no
 * :method or :path.
 */
function requestHeaders(fields: HeaderField[]): IncomingHttpHeaders | null {
  const h: IncomingHttpHeaders = Object.create(null) as IncomingHttpHeaders
  let regular = false
  for (const { name, value } of fields) {
    if (name.charCodeAt(0) === 0x3a /* : */) {
      if (regular || !PSEUDO_REQUEST.has(name) || h[name] !== undefined) return null
    } else {
      regular = true
      if (name !== name.toLowerCase()) return null
    }
    const prior = h[name]
    h[name] = prior === undefined ? value : `${prior as string}, ${value}`
  }
  return h[':method'] === undefined || h[':path'] === undefined ? null : h
}
