/**
 * What every gRPC call on an HTTP/2 stream shares: reading framed messages, the deadline,
 * response headers, the final status (trailers, or a trailers-only response when nothing was
 * sent yet) and cancellation when the stream closes first. The call is its stream's receiver
 * (h2-stream.ts): no listeners or closures per call.
 */
import type { IncomingHttpHeaders } from 'node:http2'
import { CallEmitter } from './emitter.js'
import { FRAME_HEADER_BYTES, framePrefixed, frameMessage, MessageReader, type MessageSink } from './framing.js'
import { FRAME_HEADER_BYTES as H2_FRAME_HEADER_BYTES } from './h2-frames.js'
import {
  encodeHeaders,
  OK_TRAILERS_BLOCK,
  RESPONSE_BLOCK,
  RESPONSE_HEADERS,
  trailersFor,
  trailersOnly,
} from './headers.js'
import type { H2Stream, StreamReceiver } from './h2-stream.js'
import { Metadata } from './metadata.js'
import { Status, status, toStatus } from './status.js'
import { Int64RangeError } from '../../../proto/wire.js'
import { TLSSocket } from 'node:tls'
import type { CancelHook } from '../call-context.js'
import type {
  AuthContext,
  MetadataLike,
  SendUnaryData,
  ServerErrorResponse,
  StatusObject,
  UntypedHandleCall,
} from './types.js'

export type CallKind = 'unary' | 'serverStream' | 'clientStream' | 'bidi'

/** A method as the server dispatches it. */
export interface Route {
  path: string
  kind: CallKind
  handler: UntypedHandleCall
  deserialize: (bytes: Buffer) => unknown
  serialize: (value: unknown) => Buffer
  /** See MethodDefinition.responseSerializeWithRoom. */
  serializeWithRoom: ((value: unknown, room: number) => Buffer) | undefined
  stats: MethodStats
}

/**
 * What a method's calls did, counted as they end (plain numbers: recording costs an increment).
 * `handled[code]` counts calls that ended with that gRPC status code (a client that went away
 * first counts as CANCELLED). `timed`, when set, is told each call's duration in seconds.
 */
export interface MethodStats {
  started: number
  handled: number[]
  timed?: (seconds: number, code: number) => void
}

export function newMethodStats(): MethodStats {
  return { started: 0, handled: new Array<number>(17).fill(0) }
}

/** Free bytes `sendPrefixed` wants before a message: its DATA frame's header and its gRPC prefix. */
export const MESSAGE_ROOM = H2_FRAME_HEADER_BYTES + FRAME_HEADER_BYTES

/** What `deserialize` returns for a message that does not decode. */
export const UNDECODABLE: unique symbol = Symbol('undecodable')

const OPEN = 0
const HEADERS_SENT = 1
const DONE = 2

/** setTimeout cannot wait longer; a longer deadline is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1

export abstract class CallBase extends CallEmitter implements MessageSink, StreamReceiver {
  cancelled = false
  protected phase = OPEN
  protected readonly stream: H2Stream
  protected readonly route: Route
  private readonly headers: IncomingHttpHeaders
  private readonly reader: MessageReader
  private md: Metadata | null = null
  private deadline = Infinity
  private timer: NodeJS.Timeout | null = null
  /** performance.now() at the start, when the method's calls are timed. */
  private readonly startedAt: number
  /** Told first when the call is cancelled (the core's view of the call). */
  private cancelHook: CancelHook | null = null

  /**
   * A call for `route` on `stream`; `timeoutMs` comes from grpc-timeout. The stream's events
   * reach the call from now on.
   */
  constructor(
    stream: H2Stream,
    headers: IncomingHttpHeaders,
    route: Route,
    maxReceiveMessageBytes: number,
    timeoutMs: number | undefined,
  ) {
    super()
    this.stream = stream
    this.headers = headers
    this.route = route
    route.stats.started++
    this.startedAt = route.stats.timed === undefined ? 0 : performance.now()
    const encoding = headers['grpc-encoding']
    this.reader = new MessageReader(maxReceiveMessageBytes, this, typeof encoding === 'string' ? encoding : undefined)
    if (timeoutMs !== undefined) {
      this.deadline = Date.now() + timeoutMs
      if (timeoutMs <= MAX_TIMER_MS) this.timer = setTimeout(onDeadline, timeoutMs, this)
    }
    stream.receiver = this
  }

  get metadata(): Metadata {
    return (this.md ??= Metadata.fromHttp2Headers(this.headers))
  }

  firstHeader(name: string): string | undefined {
    const v = this.headers[name]
    return Array.isArray(v) ? v[0] : v
  }

  getPeer(): string {
    return this.stream.connection.peer
  }

  getDeadline(): number {
    return this.deadline
  }

  setCancelHook(hook: CancelHook | null): void {
    this.cancelHook = hook
  }

  getAuthContext(): AuthContext {
    const socket = this.stream.connection.socket
    if (!(socket instanceof TLSSocket)) return {}
    if (!socket.authorized) return { transportSecurityType: 'ssl' }
    const cert = socket.getPeerCertificate()
    return { transportSecurityType: 'ssl', ...(cert && cert.subject ? { sslPeerCertificate: cert } : {}) }
  }

  getPath(): string {
    return this.route.path
  }

  getHost(): string {
    return this.headers[':authority'] ?? this.headers.host ?? ''
  }

  sendMetadata(responseMetadata: MetadataLike): void {
    if (this.phase !== OPEN || !this.stream.open) return
    this.sendHeaders(encodeHeaders({ ...responseMetadata.toHttp2Headers(), ...RESPONSE_HEADERS }))
  }

  abstract onMessage(message: Buffer): void
  /** The client half-closed (all its messages have been delivered to onMessage). */
  protected abstract onHalfClose(): void
  /** The call is over: status sent or cancelled. */
  protected abstract onFinished(): void

  onReadError(code: number, details: string): void {
    this.finish(status(code, details))
  }

  /** The request in `message`, or UNDECODABLE (and the call ended with INTERNAL). */
  protected deserialize(message: Buffer): unknown {
    try {
      return this.route.deserialize(message)
    } catch (err) {
      // A number that would lose precision is the client's mistake, not a broken message.
      if (err instanceof Int64RangeError) this.finish(status(Status.INVALID_ARGUMENT, `etcdserver: ${err.message}`))
      else this.finish(status(Status.INTERNAL, `grpc: error unmarshalling request: ${(err as Error)?.message ?? err}`))
      return UNDECODABLE
    }
  }

  /** Runs the handler; one that throws ends the call with UNKNOWN. */
  protected invoke(...args: unknown[]): void {
    try {
      ;(this.route.handler as (...a: unknown[]) => void)(this, ...args)
    } catch (err) {
      this.finish(status(Status.UNKNOWN, `Server method handler threw error ${(err as Error)?.message ?? err}`))
    }
  }

  /** The callback unary and client-streaming handlers get. */
  protected unaryCallback(): SendUnaryData<unknown> {
    return (err, value, trailer) => this.respond(err, value, trailer ?? null)
  }

  private respond(err: ServerErrorResponse | Error | null, value: unknown, trailer: MetadataLike | null): void {
    if (this.phase === DONE) return
    if (err) {
      this.finish(toStatus(err, trailer))
      return
    }
    let frame: Buffer
    try {
      const withRoom = this.route.serializeWithRoom
      if (withRoom === undefined) frame = frameMessage(this.route.serialize(value))
      else {
        frame = withRoom(value, FRAME_HEADER_BYTES)
        framePrefixed(frame, 0)
      }
    } catch (e) {
      this.finish(status(Status.INTERNAL, `Error serializing response: ${(e as Error)?.message ?? e}`))
      return
    }
    const prior = this.phase
    this.settle(Status.OK)
    const s = this.stream
    if (s.open) {
      if (prior === OPEN) s.respond(RESPONSE_BLOCK, false)
      s.end(frame, trailer === null ? OK_TRAILERS_BLOCK : encodeHeaders(trailersFor(status(Status.OK, '', trailer))))
    }
    this.onFinished()
  }

  /** Writes one message of a streaming response; false when the stream's buffer is full. */
  protected sendMessage(value: unknown, callback?: (err?: Error | null) => void): boolean {
    if (!this.canSend(callback)) return false
    let frame: Buffer
    try {
      frame = frameMessage(this.route.serialize(value))
    } catch (e) {
      this.finish(status(Status.INTERNAL, `Error serializing response: ${(e as Error)?.message ?? e}`))
      return false
    }
    return this.sendFrame(frame, callback)
  }

  /**
   * Writes one serialized message of a streaming response from a buffer that starts with
   * MESSAGE_ROOM free bytes: its DATA frame's header and its gRPC prefix are written there
   * instead of the message being copied after them.
   */
  protected sendPrefixed(buf: Buffer, callback?: (err?: Error | null) => void): boolean {
    if (!this.canSend(callback)) return false
    framePrefixed(buf, H2_FRAME_HEADER_BYTES)
    this.beforeData()
    return this.stream.writeWithRoom(buf, callback)
  }

  private canSend(callback?: (err?: Error | null) => void): boolean {
    if (this.phase !== DONE && this.stream.open) return true
    if (callback) process.nextTick(callback, new Error('write after the call ended'))
    return false
  }

  private sendFrame(frame: Buffer, callback?: (err?: Error | null) => void): boolean {
    this.beforeData()
    return this.stream.write(frame, callback)
  }

  private beforeData(): void {
    if (this.phase === OPEN) this.sendHeaders(RESPONSE_BLOCK)
  }

  private sendHeaders(block: Buffer): void {
    this.phase = HEADERS_SENT
    this.stream.respond(block, false)
  }

  /**
   * Ends the call with `s`: trailers after what was sent, or a trailers-only response.
   * `cancelled` tells the handler too (the deadline passed). False if it was already over.
   */
  protected finish(s: StatusObject, cancelled = false): boolean {
    if (this.phase === DONE) return false
    const prior = this.phase
    this.settle(s.code)
    const st = this.stream
    if (st.open) {
      if (prior === OPEN) st.respond(encodeHeaders(trailersOnly(s)), true)
      else st.end(null, encodeHeaders(trailersFor(s)))
    }
    if (cancelled) this.markCancelled()
    this.onFinished()
    return true
  }

  /** The client went away (RST_STREAM, connection lost) before the status was sent. */
  protected cancel(): void {
    if (this.phase === DONE) return
    this.settle(Status.CANCELLED)
    this.markCancelled()
    this.onFinished()
  }

  private markCancelled(): void {
    this.cancelled = true
    const hook = this.cancelHook
    this.cancelHook = null
    hook?.cancelled()
    this.emit('cancelled', 'cancelled')
  }

  private settle(code: number): void {
    this.phase = DONE
    const stats = this.route.stats
    stats.handled[code >= 0 && code < 17 ? code : Status.UNKNOWN]++
    if (stats.timed !== undefined) stats.timed((performance.now() - this.startedAt) / 1000, code)
    if (this.timer !== null) {
      clearTimeout(this.timer)
      this.timer = null
    }
  }

  /** @internal */
  expire(): void {
    this.timer = null
    // etcd's handlers end with ctx.Err(): grpc-go then sends this text.
    this.finish(status(Status.DEADLINE_EXCEEDED, 'context deadline exceeded'), true)
  }

  /** @internal */
  receive(chunk: Buffer): void {
    if (this.phase !== DONE) this.reader.push(chunk)
  }

  /** @internal */
  halfClosed(): void {
    if (this.phase === DONE) return
    if (this.reader.partial) {
      this.finish(status(Status.INTERNAL, 'grpc: the client ended the stream in the middle of a message'))
      return
    }
    this.onHalfClose()
  }

  /** @internal */
  closed(): void {
    this.cancel()
  }

  /** @internal The stream's queue fell below its mark. */
  drained(): void {
    this.emit('drain')
  }
}

function onDeadline(call: CallBase): void {
  call.expire()
}
