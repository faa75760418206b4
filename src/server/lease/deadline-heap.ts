/**
 * A min-heap of lease IDs by deadline (ms), one entry per ID: `set` inserts or moves an
 * entry, `delete` removes it. The lessor keeps two: expiries and scheduled checkpoints.
 */
export class DeadlineHeap {
  private readonly ids: bigint[] = []
  private readonly times: number[] = []
  private readonly pos = new Map<bigint, number>()

  get size(): number {
    return this.ids.length
  }

  /** The earliest entry, without removing it. */
  peek(): { id: bigint; time: number } | undefined {
    return this.ids.length === 0 ? undefined : { id: this.ids[0], time: this.times[0] }
  }

  has(id: bigint): boolean {
    return this.pos.has(id)
  }

  set(id: bigint, time: number): void {
    const i = this.pos.get(id)
    if (i === undefined) {
      this.ids.push(id)
      this.times.push(time)
      this.pos.set(id, this.ids.length - 1)
      this.up(this.ids.length - 1)
      return
    }
    const old = this.times[i]
    this.times[i] = time
    if (time < old) this.up(i)
    else this.down(i)
  }

  delete(id: bigint): void {
    const i = this.pos.get(id)
    if (i === undefined) return
    const last = this.ids.length - 1
    this.swap(i, last)
    this.ids.pop()
    this.times.pop()
    this.pos.delete(id)
    if (i < this.ids.length) {
      this.up(i)
      this.down(i)
    }
  }

  /** Removes and returns the earliest entry. */
  pop(): { id: bigint; time: number } | undefined {
    const top = this.peek()
    if (top !== undefined) this.delete(top.id)
    return top
  }

  clear(): void {
    this.ids.length = 0
    this.times.length = 0
    this.pos.clear()
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1
      if (this.times[p] <= this.times[i]) return
      this.swap(i, p)
      i = p
    }
  }

  private down(i: number): void {
    const n = this.ids.length
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < n && this.times[l] < this.times[m]) m = l
      if (r < n && this.times[r] < this.times[m]) m = r
      if (m === i) return
      this.swap(i, m)
      i = m
    }
  }

  private swap(a: number, b: number): void {
    if (a === b) return
    const id = this.ids[a]
    const t = this.times[a]
    this.ids[a] = this.ids[b]
    this.times[a] = this.times[b]
    this.ids[b] = id
    this.times[b] = t
    this.pos.set(this.ids[a], a)
    this.pos.set(this.ids[b], b)
  }
}
