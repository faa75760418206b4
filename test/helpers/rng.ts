/** A small seeded PRNG (mulberry32), so every randomized test replays exactly from its seed. */
export class Rng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('rng.pick on empty list')
    return items[this.int(items.length)]!
  }

  /** `n` uniform bytes. */
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n)
    for (let i = 0; i < n; i++) b[i] = this.int(256)
    return b
  }

  /** A new independent generator derived from this one. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 2 ** 32))
  }
}
