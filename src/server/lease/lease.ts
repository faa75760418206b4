/** One lease: its TTLs, its expiry as the primary lessor sees it, and its attached keys. */

/** Largest TTL a lease may be granted with, in seconds (etcd's MaxLeaseTTL). */
export const MAX_LEASE_TTL = 9_000_000_000

export class Lease {
  /** Attached keys, by their bytes as latin1 text. */
  readonly keys = new Map<string, Buffer>()
  /** When the lease expires (ms, the lessor's clock); Infinity unless the lessor is primary. */
  expiry = Infinity

  constructor(
    readonly id: bigint,
    /** Granted TTL in seconds (after the minimum TTL rule). */
    readonly ttl: number,
    /** The last checkpointed remaining TTL in seconds; 0 when unset. */
    public remainingTTL = 0,
  ) {}

  /** The TTL a refresh starts from: the checkpointed remaining TTL if any, else the full TTL. */
  get refreshTTL(): number {
    return this.remainingTTL > 0 ? this.remainingTTL : this.ttl
  }

  refresh(now: number, extendMs: number): void {
    this.expiry = now + extendMs + this.refreshTTL * 1000
  }

  /** Milliseconds left (Infinity when the lessor is not primary). */
  remainingMs(now: number): number {
    return this.expiry - now
  }

  /** Attached keys in byte order. */
  sortedKeys(): Buffer[] {
    return [...this.keys.values()].sort(Buffer.compare)
  }
}
