/**
 * Streaming calls (server-streaming, client-streaming, bidirectional), shaped like
 * grpc-js's object-mode Duplex: 'data' per request, 'end' at the client's half-close,
 * `write` with the HTTP/2 stream's back-pressure ('drain'), `end()` for an OK status,
 * `emit('error', err)` or `destroy(err)` for an error status, 'cancelled' when the client
 * goes away, 'close' once the call is over.
 */
import type { IncomingHttpHeaders } from 'node:http2'
import { CallBase, MESSAGE_ROOM, UNDECODABLE, type Route } from './call.js'
import type { H2Stream } from './h2-stream.js'
import { Status, status, toStatus } from './status.js'
import type {
  MetadataLike,
  ServerDuplexStream,
  ServerErrorResponse,
  ServerWritableStream,
  WriteCallback,
} from './types.js'

export class StreamCall
  extends CallBase
  implements ServerDuplexStream<unknown, unknown>, ServerWritableStream<unknown, unknown>
{
  /** The request of a server-streaming call. */
  request: unknown = undefined
  private received = false
  /** Requests waiting for a 'data' listener or for `resume()`. */
  private queue: unknown[] | null = null
  private paused = false
  private clientDone = false
  private endEmitted = false
  private closeEmitted = false

  constructor(
    stream: H2Stream,
    headers: IncomingHttpHeaders,
    route: Route,
    maxReceiveMessageBytes: number,
    timeoutMs: number | undefined,
  ) {
    super(stream, headers, route, maxReceiveMessageBytes, timeoutMs)
  }

  /** Bidi and client-streaming handlers start at once, before any message. */
  start(): void {
    if (this.route.kind === 'bidi') this.invoke()
    else if (this.route.kind === 'clientStream') this.invoke(this.unaryCallback())
  }

  onMessage(message: Buffer): void {
    if (this.route.kind === 'serverStream') {
      if (this.received) {
        this.finish(
          status(
            Status.UNIMPLEMENTED,
            `Received a second request message for server streaming method ${this.route.path}`,
          ),
        )
        return
      }
      this.received = true
      const request = this.deserialize(message)
      if (request === UNDECODABLE) return
      this.request = request
      this.invoke()
      return
    }
    const request = this.deserialize(message)
    if (request === UNDECODABLE) return
    if (this.queue !== null || this.paused || this.listenerCount('data') === 0) {
      ;(this.queue ??= []).push(request)
      this.stream.pause()
    } else {
      this.emit('data', request)
    }
  }

  protected onHalfClose(): void {
    if (this.route.kind === 'serverStream') {
      if (!this.received)
        this.finish(
          status(Status.UNIMPLEMENTED, `Received no request message for server streaming method ${this.route.path}`),
        )
      return
    }
    this.clientDone = true
    if (this.queue === null) this.emitEnd()
  }

  private emitEnd(): void {
    if (this.endEmitted) return
    this.endEmitted = true
    this.emit('end')
  }

  /** @internal Delivers queued requests while someone listens and the call is not paused. */
  flush(): void {
    const q = this.queue
    if (q === null) return
    while (q.length > 0 && !this.paused && this.listenerCount('data') > 0) this.emit('data', q.shift())
    if (q.length > 0) return
    this.queue = null
    if (this.paused) return
    if (this.clientDone) this.emitEnd()
    else this.stream.resume()
  }

  protected override listenerAdded(event: string): void {
    if (event === 'data' && this.queue !== null) process.nextTick(flushCall, this)
  }

  pause(): this {
    this.paused = true
    this.stream.pause()
    return this
  }

  resume(): this {
    this.paused = false
    if (this.queue !== null) process.nextTick(flushCall, this)
    else this.stream.resume()
    return this
  }

  isPaused(): boolean {
    return this.paused
  }

  get writable(): boolean {
    return !this.cancelled && !this.closeEmitted && this.stream.open
  }

  get writableNeedDrain(): boolean {
    return this.stream.needDrain
  }

  write(message: unknown, encodingOrCallback?: unknown, callback?: WriteCallback): boolean {
    const cb = typeof encodingOrCallback === 'function' ? (encodingOrCallback as WriteCallback) : callback
    return this.sendMessage(message, cb)
  }

  /** Free bytes `writePrefixed` wants before a message. */
  readonly framingBytes = MESSAGE_ROOM

  /**
   * Writes a message already serialized into `buf` after `framingBytes` free bytes, which
   * take its framing (DATA frame header and gRPC prefix): the message is not copied.
   */
  writePrefixed(buf: Buffer, callback?: WriteCallback): boolean {
    return this.sendPrefixed(buf, callback)
  }

  /** Ends the call with OK; `metadata` becomes trailers. */
  end(metadataOrCallback?: MetadataLike | (() => void), callback?: () => void): void {
    let metadata: MetadataLike | null = null
    if (typeof metadataOrCallback === 'function') callback = metadataOrCallback
    else if (metadataOrCallback && typeof metadataOrCallback.toHttp2Headers === 'function')
      metadata = metadataOrCallback
    this.finish(status(Status.OK, '', metadata))
    if (callback) process.nextTick(callback)
  }

  /** `emit('error', err)` ends the call with the error's status, as on grpc-js. */
  override emit(event: string, ...args: unknown[]): boolean {
    if (event === 'error') {
      this.finish(toStatus(args[0]))
      if (this.listenerCount('error') === 0) return false
    }
    return super.emit(event, ...args)
  }

  /** Ends the call now: with the error's status, or CANCELLED without one. */
  destroy(error?: ServerErrorResponse | Error): void {
    if (error !== undefined) this.emit('error', error)
    else this.finish(status(Status.CANCELLED, 'Cancelled by the server'))
  }

  protected onFinished(): void {
    if (this.closeEmitted) return
    this.closeEmitted = true
    process.nextTick(emitClose, this)
  }
}

function flushCall(call: StreamCall): void {
  call.flush()
}

function emitClose(call: StreamCall): void {
  call.emit('close')
}
