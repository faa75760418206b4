/**
 * The window of MsgApp messages sent to one follower and not yet
 * acknowledged, bounded by count and by total bytes. Indexes are added in
 * increasing order; an acknowledgement frees everything up to its index.
 */
export class Inflights {
  private readonly indexes: number[]
  private readonly sizes: number[]
  private start = 0
  private _count = 0
  private _bytes = 0

  constructor(
    readonly capacity: number,
    readonly maxBytes = Infinity,
  ) {
    if (capacity < 1) throw new RangeError('inflights capacity must be at least 1')
    this.indexes = new Array<number>(capacity).fill(0)
    this.sizes = new Array<number>(capacity).fill(0)
  }

  get count(): number {
    return this._count
  }

  get bytes(): number {
    return this._bytes
  }

  /** Records a message whose last entry is `index`, carrying `bytes` of payload. */
  add(index: number, bytes: number): void {
    if (this.full()) throw new Error('inflights: add on a full window')
    const slot = (this.start + this._count) % this.capacity
    this.indexes[slot] = index
    this.sizes[slot] = bytes
    this._count++
    this._bytes += bytes
  }

  /** Frees every message whose last index is <= `index`. */
  freeLE(index: number): void {
    while (this._count > 0 && this.indexes[this.start]! <= index) {
      this._bytes -= this.sizes[this.start]!
      this.start = (this.start + 1) % this.capacity
      this._count--
    }
    if (this._count === 0) this.start = 0
  }

  /** Frees the oldest message, whatever its index. */
  freeFirstOne(): void {
    if (this._count > 0) this.freeLE(this.indexes[this.start]!)
  }

  full(): boolean {
    return this._count === this.capacity || this._bytes >= this.maxBytes
  }

  reset(): void {
    this.start = 0
    this._count = 0
    this._bytes = 0
  }
}
