/**
 * The keys a watcher covers, from a WatchCreateRequest's key and range_end as etcd reads
 * them: an empty key means "\0" (the smallest key), an empty range_end a single key,
 * range_end "\0" every key >= key, anything else [key, range_end).
 *
 * Keys are held as latin1 strings: string comparison then orders them bytewise.
 */

export class KeyRange {
  private constructor(
    /** First key covered. */
    readonly lo: string,
    /** End of the range (exclusive); null: every key >= lo; undefined: lo only. */
    readonly hi: string | null | undefined,
  ) {}

  /** The range of a create request; undefined when it is empty (key >= range_end). */
  static fromRequest(key: Buffer, rangeEnd: Buffer): KeyRange | undefined {
    const lo = key.length === 0 ? '\0' : key.toString('latin1')
    if (rangeEnd.length === 0) return new KeyRange(lo, undefined)
    if (rangeEnd.length === 1 && rangeEnd[0] === 0) return new KeyRange(lo, null)
    const hi = rangeEnd.toString('latin1')
    if (lo >= hi) return undefined
    return new KeyRange(lo, hi)
  }

  get single(): boolean {
    return this.hi === undefined
  }

  contains(skey: string): boolean {
    if (this.hi === undefined) return skey === this.lo
    return skey >= this.lo && (this.hi === null || skey < this.hi)
  }
}
