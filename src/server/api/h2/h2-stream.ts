/**
 * One stream of an HTTP/2 connection served by tsetcd's own framing (connection.ts), as a gRPC
 * call sees it: the request's DATA goes to a receiver; the response is a header block, DATA
 * (held back while the client's flow-control windows are closed) and trailers that leave once
 * all of it has. Everything a call sends in one turn of the event loop leaves in one write.
 */
import type { H2Connection } from './connection.js'
import { FRAME_HEADER_BYTES } from './h2-frames.js'

/** What hears of a stream's request side (a gRPC call). */
export interface StreamReceiver {
  /** A DATA payload, in order. */
  receive(chunk: Buffer): void
  /** The client half-closed: no more DATA comes. */
  halfClosed(): void
  /** The stream was reset or the connection lost before the response ended. */
  closed(): void
  /** Data queued by `write` fell below the mark after `write` returned false. */
  drained(): void
}

/** A stream's queued response bytes past which `write` returns false. */
export const STREAM_HIGH_WATER = 64 * 1024

type WriteCallback = (err?: Error | null) => void

export class H2Stream {
  receiver: StreamReceiver | null = null
  /** What the client may still send us before we open its window again. */
  recvWindow: number
  /** Received bytes not yet given back to the client's window (while paused, or below the mark). */
  recvCredit = 0
  paused = false
  /** What the client lets us send on this stream. */
  sendWindow: number
  /**
   * Response DATA not yet framed, oldest first: queue[i]'s data starts at starts[i] (0, or
   * FRAME_HEADER_BYTES for a buffer with room for its DATA frame's header), and queue[0] is
   * sent up to `head`.
   */
  readonly queue: Buffer[] = []
  readonly starts: number[] = []
  head = 0
  /** Callbacks of writes, each due once the byte count before it has left. */
  private readonly callbacks: { at: number; cb: WriteCallback }[] = []
  /** Bytes handed to `write` and bytes framed, since the stream began. */
  private sentBytes = 0
  private notifying = false
  private enqueuedBytes = 0
  /** The trailers' header block, sent once the queue is empty. */
  trailers: Buffer | null = null
  needDrain = false
  /** We sent END_STREAM (or RST_STREAM). */
  localClosed = false
  /** The client sent END_STREAM (or RST_STREAM). */
  remoteClosed = false
  /** Gone from the connection: reset, or both sides closed. */
  gone = false

  constructor(
    readonly id: number,
    readonly connection: H2Connection,
    recvWindow: number,
    sendWindow: number,
  ) {
    this.recvWindow = recvWindow
    this.sendWindow = sendWindow
  }

  /** Response DATA queued and not yet framed. */
  get queuedBytes(): number {
    return this.enqueuedBytes - this.sentBytes
  }

  /** More can be sent: the response has not ended and the stream is not gone. */
  get open(): boolean {
    return !this.localClosed && !this.gone
  }

  /** Response headers (`endStream`: a response of headers alone, trailers-only). */
  respond(block: Buffer, endStream: boolean): void {
    if (!this.open) return
    this.connection.sendHeaders(this, block, endStream)
    if (endStream) this.connection.localEnd(this)
  }

  /** Queues response DATA; false when the queue is past its mark ('drained' follows). */
  write(data: Buffer, cb?: WriteCallback): boolean {
    return this.queueData(data, 0, cb)
  }

  /**
   * Queues `buf` after its first FRAME_HEADER_BYTES bytes, which are free: when a DATA frame
   * carries exactly the rest, its header is written there and the buffer leaves as it is.
   */
  writeWithRoom(buf: Buffer, cb?: WriteCallback): boolean {
    return this.queueData(buf, FRAME_HEADER_BYTES, cb)
  }

  private queueData(buf: Buffer, start: number, cb?: WriteCallback): boolean {
    if (!this.open) {
      if (cb) process.nextTick(cb, new Error('write after the stream ended'))
      return false
    }
    const length = buf.length - start
    if (length > 0) {
      if (this.queue.length === 0) this.head = start
      this.queue.push(buf)
      this.starts.push(start)
      this.enqueuedBytes += length
    }
    if (cb) {
      if (length === 0) process.nextTick(cb)
      else this.callbacks.push({ at: this.enqueuedBytes, cb })
    }
    this.connection.flushStream(this)
    if (this.queuedBytes >= STREAM_HIGH_WATER) {
      this.needDrain = true
      return false
    }
    return true
  }

  /** Queues `data` (if any) and then the trailers that end the stream. */
  end(data: Buffer | null, trailers: Buffer): void {
    if (!this.open || this.trailers !== null) return
    this.trailers = trailers
    if (data !== null) this.write(data)
    else this.connection.flushStream(this)
  }

  /** Stops giving the client window on this stream (its data waits in the client). */
  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.connection.returnCredit(this)
  }

  /** @internal `n` queued bytes were framed and handed to the socket. */
  sent(n: number): void {
    this.sentBytes += n
    const cbs = this.callbacks
    if (!this.notifying && ((cbs.length > 0 && cbs[0]!.at <= this.sentBytes) || this.needDrain)) {
      // As a node stream's: write callbacks and 'drain' come after the write, not inside it.
      this.notifying = true
      process.nextTick(notify, this)
    }
  }

  /** @internal */
  notify(): void {
    this.notifying = false
    const cbs = this.callbacks
    while (cbs.length > 0 && cbs[0]!.at <= this.sentBytes) cbs.shift()!.cb()
    if (this.needDrain && this.queuedBytes < STREAM_HIGH_WATER && !this.gone) {
      this.needDrain = false
      this.receiver?.drained()
    }
  }

  /** @internal The stream is gone with data unsent: its callbacks hear so. */
  dropQueue(): void {
    this.queue.length = 0
    this.starts.length = 0
    this.head = 0
    this.sentBytes = this.enqueuedBytes
    const cbs = this.callbacks.splice(0)
    if (cbs.length > 0) {
      const err = new Error('the stream closed before the data was sent')
      for (const c of cbs) process.nextTick(c.cb, err)
    }
  }
}

function notify(s: H2Stream): void {
  s.notify()
}
