/**
 * The in-memory index: key → KeyIndex, in key byte order.
 *
 * A hash map serves point lookups; a B+tree over the same KeyIndex objects serves ranges.
 * Keys are latin1 strings of the key bytes, so `<` is unsigned byte order.
 */
import { BTreeMap } from '../btree/btree.js'
import { KeyIndex, type RemovedRevs } from './key-index.js'

export class TreeIndex {
  private readonly map = new Map<string, KeyIndex>()
  private tree = new BTreeMap<KeyIndex>()
  /** While loading, keys go to the map only; the tree is built once at the end. */
  private loading = false

  get size(): number {
    return this.map.size
  }

  get(skey: string): KeyIndex | undefined {
    return this.map.get(skey)
  }

  getOrCreate(skey: string): KeyIndex {
    let ki = this.map.get(skey)
    if (ki === undefined) {
      ki = new KeyIndex(skey)
      this.map.set(skey, ki)
      if (!this.loading) this.tree.set(skey, ki)
    }
    return ki
  }

  /** Drops a key (one a failed write transaction created). */
  delete(skey: string): void {
    this.map.delete(skey)
    this.tree.delete(skey)
  }

  /** Starts a bulk load (restore): getOrCreate() skips the ordered tree until endLoad(). */
  beginLoad(): void {
    this.loading = true
  }

  /** Builds the ordered tree from every key loaded. */
  endLoad(): void {
    this.loading = false
    const keys = [...this.map.keys()].sort()
    this.tree = BTreeMap.fromSorted(
      keys,
      keys.map((key) => this.map.get(key)!),
    )
  }

  /**
   * Visits keys in [from, to) in order (no upper bound when `to` is undefined) until fn
   * returns false.
   */
  scan(from: string, to: string | undefined, fn: (ki: KeyIndex) => boolean | void): void {
    this.tree.scan(from, to, (_k, ki) => fn(ki))
  }

  /** Every KeyIndex, in no particular order. */
  values(): IterableIterator<KeyIndex> {
    return this.map.values()
  }

  /** Compacts every key at atRev at once (see compactSlice). Returns the removed revisions. */
  compact(atRev: number): RemovedRevs {
    const removed: RemovedRevs = []
    this.compactSlice(this.map.values(), atRev, removed, Infinity)
    return removed
  }

  /**
   * Compacts at atRev up to `budget` more keys from `keys` (an iterator over values(), which
   * may span turns of the event loop: keys added meanwhile are visited too, and hold nothing
   * at or below atRev), appending their removed revisions to `removed` and dropping keys
   * left with nothing. Returns true once the iterator is exhausted.
   */
  compactSlice(keys: Iterator<KeyIndex>, atRev: number, removed: RemovedRevs, budget: number): boolean {
    for (let n = 0; n < budget; n++) {
      const r = keys.next()
      if (r.done === true) return true
      const ki = r.value
      ki.compact(atRev, removed)
      if (ki.isEmpty()) {
        this.map.delete(ki.skey)
        this.tree.delete(ki.skey)
      }
    }
    return false
  }
}
