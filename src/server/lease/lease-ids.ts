/**
 * IDs for leases granted without one. Like etcd's request ID generator: the member ID's low
 * 16 bits, then 40 bits of the start time in ms and an 8-bit counter, incremented per ID, so
 * IDs from different members and from restarts of one member do not collide. Positive int64.
 */
const SUFFIX_BITS = 48n
const SUFFIX_MASK = (1n << SUFFIX_BITS) - 1n
const POSITIVE = (1n << 63n) - 1n

export class LeaseIdGenerator {
  private readonly prefix: bigint
  private suffix: bigint

  constructor(memberId: bigint, nowMs: number = Date.now()) {
    this.prefix = (memberId & 0xffffn) << SUFFIX_BITS
    this.suffix = (BigInt(Math.floor(nowMs)) << 8n) & SUFFIX_MASK
  }

  next(): bigint {
    for (;;) {
      this.suffix = (this.suffix + 1n) & SUFFIX_MASK
      const id = (this.prefix | this.suffix) & POSITIVE
      if (id !== 0n) return id
    }
  }
}
