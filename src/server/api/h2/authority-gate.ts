/**
 * Reads the start of every HTTP/2 connection and chooses who serves it: tsetcd's own HTTP/2
 * (connection.ts) when its first request is gRPC, or when it pings or stays idle before any
 * request; node's HTTP/2 when its first request is plain HTTP (the JSON gateway, /metrics).
 * For node's, it also lets clients whose :authority node's HTTP/2 refuses (see authority.ts)
 * reach the server.
 *
 * The gate reads a connection up to the end of its first header block. Go clients send no request before the server's SETTINGS, so the gate sends them when
 * the client's preface has arrived (the same frame node's HTTP/2 sends when it takes over, so
 * the client sees the same settings twice; not earlier: node's TLS client, as tsetcd's client
 * uses it, stalls when they come in the same flight as the TLS 1.3 session ticket) and drops
 * the client's first SETTINGS ACK (the one for the gate's frame).
 * Then, for a plain HTTP request:
 * - the :authority is one node takes (every client but the few above): the bytes read go
 *   back into the socket and node's HTTP/2 reads it natively from there on;
 * - it is not: node's HTTP/2 reads through a RewriteStream that decodes every client header
 *   block with the client's HPACK table and re-encodes it without dynamic indexing and with
 *   a valid :authority. Server-to-client bytes pass untouched.
 * A connection that pings, or sends no request for `idleMs`, goes to tsetcd's own HTTP/2,
 * which answers pings itself.
 */
import type net from 'node:net'
import { Duplex } from 'node:stream'
import { needsRewrite, rewriteBlock } from './authority.js'
import type { FirstBlock, GateState } from './connection.js'
import { isGrpcContentType } from './headers.js'
import { HpackDecoder, HpackError, type HeaderField } from './hpack.js'
import {
  ErrorCode,
  F,
  FrameError,
  FrameSplitter,
  goaway,
  HeaderBlockAssembler,
  PREFACE,
  T,
  type Frame,
} from './h2-frames.js'

/** The gate gives up on clients that send this much without a complete header block. */
const MAX_HOLD_BYTES = 1 << 20
/** The least time a connection gets to send its whole preface. */
const PREFACE_TIMEOUT_MS = 10_000

function isSettingsAck(f: Frame): boolean {
  return f.type === T.SETTINGS && (f.flags & F.ACK) !== 0 && f.streamId === 0
}

/** Client-to-server frames in rewrite mode: every header block re-encoded. */
export class ClientRewriter {
  constructor(
    private readonly splitter: FrameSplitter,
    private readonly blocks: HeaderBlockAssembler,
    private readonly decoder: HpackDecoder,
    /** The first SETTINGS ACK (for the gate's SETTINGS) has been dropped. */
    private acked: boolean,
  ) {}

  static fresh(): ClientRewriter {
    return new ClientRewriter(new FrameSplitter(), new HeaderBlockAssembler(), new HpackDecoder(), true)
  }

  /** Bytes (after the preface) in; bytes for node's HTTP/2 out. Throws FrameError, HpackError. */
  push(chunk: Buffer): Buffer {
    return this.frames(this.splitter.push(chunk))
  }

  frames(frames: Frame[]): Buffer {
    const out: Buffer[] = []
    for (const f of frames) {
      if (!this.acked && isSettingsAck(f)) {
        this.acked = true
        continue
      }
      const block = this.blocks.add(f)
      if (block !== null) {
        const { fields, tableSizeUpdates } = this.decoder.decode(block.fragment)
        out.push(rewriteBlock(block, fields, tableSizeUpdates))
      } else if (f.type !== T.HEADERS && f.type !== T.CONTINUATION) {
        out.push(f.raw)
      }
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out)
  }
}

/** Node's HTTP/2 reads the client through this (as a JS stream, so more slowly). */
export class RewriteStream extends Duplex {
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined

  constructor(
    private readonly socket: net.Socket,
    private readonly rewriter: ClientRewriter,
    initial: Buffer,
  ) {
    super()
    this.remoteAddress = socket.remoteAddress
    this.remotePort = socket.remotePort
    this.push(initial)
    socket.on('data', (chunk: Buffer) => {
      let out: Buffer
      try {
        out = this.rewriter.push(chunk)
      } catch (err) {
        const code = err instanceof HpackError ? ErrorCode.COMPRESSION_ERROR : ErrorCode.PROTOCOL_ERROR
        socket.removeAllListeners('data')
        socket.end(goaway(code), () => socket.destroy())
        return
      }
      if (out.length > 0 && !this.push(out)) socket.pause()
    })
    socket.on('end', () => this.push(null))
    socket.on('close', () => this.destroy())
    socket.resume()
  }

  override _read(): void {
    this.socket.resume()
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.socket.write(chunk, cb)
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end()
    cb()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy()
    cb(err)
  }
}

/** tsetcd's own HTTP/2 takes the connection over from the gate's state (see H2Connection.start). */
export type OwnHandOff = (state: GateState, before: Frame[], first: FirstBlock | null, after: Frame[]) => void

function isGrpc(fields: readonly HeaderField[]): boolean {
  for (const f of fields) if (f.name === 'content-type') return isGrpcContentType(f.value)
  return false
}

/**
 * Holds an HTTP/2 connection until its first header block has been read, then hands it on:
 * to tsetcd's own HTTP/2, or to node's (the socket itself, or a RewriteStream over it).
 */
export class AuthorityGate {
  private readonly splitter = new FrameSplitter()
  private readonly blocks = new HeaderBlockAssembler()
  private readonly decoder = new HpackDecoder()
  /** Bytes for node's HTTP/2, as received, less what the gate answered itself. */
  private held: Buffer[] = []
  private heldBytes = 0
  /** Where the first header block's frames start in `held`. */
  private blockStart = -1
  private preface = Buffer.alloc(0)
  /** Frames before the first header block (SETTINGS, WINDOW_UPDATE...), for tsetcd's own HTTP/2. */
  private early: Frame[] = []
  private acked = false
  /** The first header block was fine: waiting only for the SETTINGS ACK. */
  private passing = false
  private done = false
  private timer: NodeJS.Timeout

  /**
   * @param settings the SETTINGS frame node's HTTP/2 sends first (see settingsFrame)
   * @param idleMs without a request for this long after its preface, the connection goes to
   *   tsetcd's own HTTP/2; without a whole preface for this long (at least 10 s), it is closed
   */
  constructor(
    private readonly socket: net.Socket,
    private readonly settings: Buffer,
    private readonly idleMs: number,
    private readonly handOff: (stream: net.Socket | RewriteStream) => void,
    private readonly handOffOwn: OwnHandOff,
  ) {
    socket.on('data', this.onData)
    socket.on('end', this.onEnd)
    socket.resume()
    this.timer = setTimeout(() => this.close(false), Math.max(idleMs, PREFACE_TIMEOUT_MS))
    this.timer.unref()
  }

  /** Closes a connection still at the gate (no request reached the server on it). */
  close(graceful: boolean): void {
    if (this.done) return
    this.finish()
    if (graceful) this.socket.end(goaway(ErrorCode.NO_ERROR))
    else this.socket.destroy()
  }

  private readonly onEnd = (): void => {
    if (this.done) return
    this.finish()
    this.socket.destroy()
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.preface.length < PREFACE.length) {
      const n = Math.min(PREFACE.length - this.preface.length, chunk.length)
      this.preface = Buffer.concat([this.preface, chunk.subarray(0, n)])
      chunk = chunk.subarray(n)
      if (this.preface.compare(PREFACE, 0, this.preface.length) !== 0) {
        // Not HTTP/2 after all: node's HTTP/2 says so to the client.
        this.hold(this.preface)
        this.passThrough([chunk])
        return
      }
      if (this.preface.length < PREFACE.length) return
      this.hold(this.preface)
      this.socket.write(this.settings)
      clearTimeout(this.timer)
      this.timer = setTimeout(() => (this.passing ? this.passThrough([]) : this.own(null, [])), this.idleMs)
      this.timer.unref()
    }
    let frames: Frame[]
    try {
      frames = this.splitter.push(chunk)
    } catch {
      this.fail(ErrorCode.FRAME_SIZE_ERROR)
      return
    }
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!
      if (!this.acked && isSettingsAck(f)) {
        this.acked = true
        if (this.passing) {
          this.passThrough(frames.slice(i + 1).map((x) => x.raw))
          return
        }
        continue
      }
      if (this.passing) {
        this.hold(f.raw)
        continue
      }
      if (f.type === T.PING && !this.blocks.inBlock) {
        this.own(null, frames.slice(i))
        return
      }
      let block
      try {
        if (f.type === T.HEADERS && !this.blocks.inBlock) this.blockStart = this.held.length
        block = this.blocks.add(f)
      } catch (err) {
        if (!(err instanceof FrameError)) throw err
        this.fail(ErrorCode.PROTOCOL_ERROR)
        return
      }
      this.hold(f.raw)
      if (block === null) {
        if (f.type !== T.HEADERS && f.type !== T.CONTINUATION) this.early.push(f)
        continue
      }
      let decoded
      try {
        decoded = this.decoder.decode(block.fragment)
      } catch {
        // Node's HTTP/2 decodes it too, and tells the client what is wrong.
        this.passThrough(frames.slice(i + 1).map((x) => x.raw))
        return
      }
      if (isGrpc(decoded.fields)) {
        this.own({ block, fields: decoded.fields }, frames.slice(i + 1))
        return
      }
      if (!needsRewrite(decoded.fields)) {
        this.passing = true
        continue
      }
      this.held.length = this.blockStart
      this.rewrite(rewriteBlock(block, decoded.fields, decoded.tableSizeUpdates), frames.slice(i + 1))
      return
    }
    if (this.passing && this.acked) this.passThrough([])
    else if (this.heldBytes + this.splitter.buffered > MAX_HOLD_BYTES) this.fail(ErrorCode.ENHANCE_YOUR_CALM)
  }

  /**
   * Node's HTTP/2 reads through a RewriteStream: what the gate holds (the frames before the
   * first header block), then `block` (that block, rewritten), then the rest, rewritten.
   */
  private rewrite(block: Buffer, rest: Frame[]): void {
    if (this.done) return
    const rewriter = new ClientRewriter(this.splitter, this.blocks, this.decoder, this.acked)
    let after: Buffer
    try {
      after = rewriter.frames(rest)
    } catch (err) {
      this.fail(err instanceof HpackError ? ErrorCode.COMPRESSION_ERROR : ErrorCode.PROTOCOL_ERROR)
      return
    }
    const initial = Buffer.concat([...this.held, block, after])
    this.finish()
    this.handOff(new RewriteStream(this.socket, rewriter, initial))
  }

  /** tsetcd's own HTTP/2 takes over with what the gate has read and decoded. */
  private own(first: FirstBlock | null, after: Frame[]): void {
    if (this.done) return
    const before = this.early
    this.finish()
    this.early = []
    this.handOffOwn({ splitter: this.splitter, assembler: this.blocks, decoder: this.decoder }, before, first, after)
  }

  private hold(b: Buffer): void {
    this.held.push(b)
    this.heldBytes += b.length
  }

  /** Node's HTTP/2 reads the socket itself, starting with what the gate read. */
  private passThrough(more: Buffer[]): void {
    const partial = this.splitter.take()
    const bytes = Buffer.concat([...this.held, ...more, ...(partial ? [partial] : [])])
    this.finish()
    this.socket.pause()
    if (bytes.length > 0) this.socket.unshift(bytes)
    this.handOff(this.socket)
  }

  private fail(code: number): void {
    this.finish()
    this.socket.end(goaway(code), () => this.socket.destroy())
  }

  private finish(): void {
    clearTimeout(this.timer)
    this.done = true
    this.held = []
    this.socket.removeListener('data', this.onData)
    this.socket.removeListener('end', this.onEnd)
  }
}
