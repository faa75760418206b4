/**
 * The outgoing half of a message stream: a bounded queue of messages for one peer, written to
 * the peer's stream (its upgraded connection, or an HTTP/2 request body) in order.
 *
 * `enqueue` never blocks: it appends, or refuses when the queue is full. `flush` encodes what is
 * queued into one buffer and writes it (the transport flushes once it has queued a Ready's
 * messages, so they leave in one write per peer); messages queued while no stream is attached
 * leave when one is. When the stream pushes back (`write` returns false: the kernel's buffers
 * towards the peer are full, or the peer's flow-control window is used up, and the local buffer
 * is past its high-water mark), the writer waits for 'drain' and messages gather in the queue
 * until it is full; what does not fit is dropped and counted, and Raft retransmits. Memory per
 * peer is therefore bounded by the queue limits plus one batch in the stream's buffer.
 */
import type { Writable } from 'node:stream'
import type { Message } from '../../raft/types.js'
import { approxMessageSize, encodeBatch } from './codec.js'
import type { QueueLimits } from './types.js'

export class StreamWriter {
  private queue: Message[] = []
  private sizes: number[] = []
  private head = 0
  private bytes = 0
  private stream: Writable | undefined
  private blocked = false

  /** Messages handed to the stream. */
  sent = 0
  /** Messages refused because the queue was full, or discarded on detach. */
  dropped = 0
  /** Writes (batches) handed to the stream. */
  writes = 0
  /** Bytes handed to the stream. */
  sentBytes = 0

  constructor(
    private readonly limits: QueueLimits,
    private readonly maxBatchBytes: number,
    private readonly onError: (err: Error) => void,
  ) {}

  get queuedMessages(): number {
    return this.queue.length - this.head
  }

  get queuedBytes(): number {
    return this.bytes
  }

  /** Bytes written to the stream and not yet flushed to the connection. */
  get bufferedBytes(): number {
    return this.stream?.writableLength ?? 0
  }

  /** Queues `m`; false (and `m` dropped) when the queue is full. */
  enqueue(m: Message): boolean {
    const size = approxMessageSize(m)
    const n = this.queue.length - this.head
    if (n >= this.limits.maxMessages || (n > 0 && this.bytes + size > this.limits.maxBytes)) {
      this.dropped++
      return false
    }
    this.queue.push(m)
    this.sizes.push(size)
    this.bytes += size
    return true
  }

  /** Starts writing queued and future messages to `stream`. */
  attach(stream: Writable): void {
    this.stream = stream
    this.blocked = false
    this.flush()
  }

  /** Stops writing and discards the queue; returns how many messages were discarded. */
  detach(): number {
    this.stream = undefined
    this.blocked = false
    const n = this.queue.length - this.head
    this.dropped += n
    this.queue = []
    this.sizes = []
    this.head = 0
    this.bytes = 0
    return n
  }

  /** Writes the queued messages to the stream, unless none is attached or it pushes back. */
  flush(): void {
    const s = this.stream
    while (s !== undefined && this.stream === s && !this.blocked && this.head < this.queue.length) {
      const start = this.head
      let end = start
      let batchBytes = 0
      do {
        batchBytes += this.sizes[end]
        end++
      } while (end < this.queue.length && batchBytes + this.sizes[end] <= this.maxBatchBytes)
      this.head = end
      this.bytes -= batchBytes
      let buf: Buffer
      try {
        buf = encodeBatch(this.queue, start, end)
      } catch (err) {
        this.dropped += end - start
        this.compact()
        this.onError(err as Error)
        continue
      }
      this.sent += end - start
      this.writes++
      this.sentBytes += buf.length
      this.compact()
      if (!s.write(buf)) {
        this.blocked = true
        s.once('drain', () => {
          if (this.stream !== s) return
          this.blocked = false
          this.flush()
        })
      }
    }
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = []
      this.sizes = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.sizes = this.sizes.slice(this.head)
      this.head = 0
    }
  }
}
