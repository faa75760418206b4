/**
 * A set of watchers indexed for "who watches this key": single-key watchers by key, range
 * watchers in an interval index (interval-index.ts), so that matching a changed key costs
 * about log n + matches however many range watchers there are.
 */
import { IntervalIndex } from './interval-index.js'
import type { Watcher } from './watcher.js'

export class WatcherGroup {
  private readonly byKey = new Map<string, Set<Watcher>>()
  private readonly ranges = new IntervalIndex<Watcher>()
  private count = 0

  get size(): number {
    return this.count
  }

  add(w: Watcher): void {
    if (w.range.single) {
      let set = this.byKey.get(w.range.lo)
      if (set === undefined) {
        set = new Set()
        this.byKey.set(w.range.lo, set)
      }
      if (set.has(w)) return
      set.add(w)
    } else {
      if (!this.ranges.add(w, w.range.lo, w.range.hi ?? null)) return
    }
    this.count++
  }

  delete(w: Watcher): boolean {
    if (w.range.single) {
      const set = this.byKey.get(w.range.lo)
      if (set === undefined || !set.delete(w)) return false
      if (set.size === 0) this.byKey.delete(w.range.lo)
    } else if (!this.ranges.delete(w)) {
      return false
    }
    this.count--
    return true
  }

  has(w: Watcher): boolean {
    return w.range.single ? this.byKey.get(w.range.lo)?.has(w) === true : this.ranges.has(w)
  }

  /** Calls fn for every watcher whose range holds `skey`. */
  forEachWatching(skey: string, fn: (w: Watcher) => void): void {
    const set = this.byKey.get(skey)
    if (set !== undefined) for (const w of set) fn(w)
    if (this.ranges.size > 0) this.ranges.forEachContaining(skey, fn)
  }
}
