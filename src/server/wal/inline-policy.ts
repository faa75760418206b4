/**
 * When the WAL writes a batch on the event loop instead of handing it to node's I/O thread
 * pool. Either way the batch is durable before anyone is told so (one O_DSYNC write); what
 * differs is who waits. Through the pool, a write costs two thread wake-ups (the pool thread's,
 * then the event loop's when the write is done) on top of the write; on a virtual machine they
 * cost about as much as the write (a 400-byte write: 0.19–0.22 ms through the pool, 0.11–0.13
 * ms on the event loop). On the event loop it costs none, but nothing else runs meanwhile: a
 * read that arrives waits for the write.
 *
 * So only a small batch (a lone client's put, a hard state) is written inline, and only while
 * the disk is fast: the average of recent writes, whichever way they went, is under
 * `maxAverageMs`. Under load, batches are large and go to the pool, where the next batch is
 * prepared while the disk works; on a disk that slows down, one slow inline write raises the
 * average above the limit and the writes after it go to the pool until the disk is fast again.
 */
export interface InlinePolicyOptions {
  /** Largest encoded batch written inline (default 4 KiB). */
  maxBytes?: number
  /** Inline writes stop while recent writes average this long or more (default 1 ms). */
  maxAverageMs?: number
}

/** Weight of the newest write in the running average. */
const NEWEST_WEIGHT = 0.2

export class InlinePolicy {
  private readonly maxBytes: number
  private readonly maxAverageMs: number
  /** Exponentially weighted average of recent writes' durations, in ms. */
  private averageMs = 0

  constructor(opts: InlinePolicyOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 4096
    this.maxAverageMs = opts.maxAverageMs ?? 1
  }

  /** Whether a batch of `bytes` may be written inline now. */
  allows(bytes: number): boolean {
    return bytes <= this.maxBytes && this.averageMs < this.maxAverageMs
  }

  /** A durable write (inline or not) took `ms`. */
  record(ms: number): void {
    this.averageMs += (ms - this.averageMs) * NEWEST_WEIGHT
  }
}
