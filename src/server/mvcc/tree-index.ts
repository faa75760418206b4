/**
 * The in-memory index: key → KeyIndex, in key byte order.
 *
 * A hash map serves point lookups; a B+tree over the same KeyIndex objects serves ranges.
 * Keys are latin1 strings of the key bytes, so `<` is unsigned byte order.
 *
 * A set of the keys with history (`history`) serves compaction: a key that has one
 * generation of one revision has nothing a compaction removes, and most keys of a large
 * store are such keys, so compaction visits only the others. Writes to indexed keys go
 * through `put` and `tombstone` here, which keep the set.
 */
import { BTreeMap } from '../btree/btree.js'
import { KeyIndex, type RemovedRevs } from './key-index.js'

function bySkey(a: KeyIndex, b: KeyIndex): number {
  return a.skey < b.skey ? -1 : a.skey > b.skey ? 1 : 0
}

export class TreeIndex {
  private readonly map = new Map<string, KeyIndex>()
  private tree = new BTreeMap<KeyIndex>()
  /**
   * Every key that may hold a revision a compaction removes: all keys but those with no
   * earlier generation and at most one revision (a superset: it may hold such keys too).
   */
  private readonly history = new Set<KeyIndex>()
  /** While loading (non-null), new keys go to the map and here only; the tree is built at the end. */
  private loaded: KeyIndex[] | null = null

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
      if (this.loaded === null) this.tree.set(skey, ki)
      else this.loaded.push(ki)
    }
    return ki
  }

  /** A put on `ki`, a key of this index (see KeyIndex.put). */
  put(ki: KeyIndex, main: number, sub: number): void {
    ki.put(main, sub)
    // Its second revision: compaction may now remove the first.
    if (ki.revs?.length === 4) this.history.add(ki)
  }

  /** A tombstone on `ki`, a key of this index (see KeyIndex.tombstone). */
  tombstone(ki: KeyIndex, main: number, sub: number): void {
    ki.tombstone(main, sub)
    this.history.add(ki)
  }

  /** Drops a key (one a failed write transaction created). */
  delete(skey: string): void {
    const ki = this.map.get(skey)
    if (ki === undefined) return
    this.map.delete(skey)
    this.tree.delete(skey)
    this.history.delete(ki)
  }

  /** Starts a bulk load (restore): getOrCreate() skips the ordered tree until endLoad(). */
  beginLoad(): void {
    this.loaded = [...this.map.values()]
  }

  /** Builds the ordered tree and the set of keys with history from every key loaded. */
  endLoad(): void {
    const kis = this.loaded ?? []
    this.loaded = null
    if (kis.length !== this.map.size) throw new Error('mvcc: keys were removed from the index while it was loaded')
    // Keys are distinct; already sorted (keys created in key order) costs one pass.
    kis.sort(bySkey)
    const keys = new Array<string>(kis.length)
    for (let i = 0; i < kis.length; i++) {
      const ki = kis[i]
      keys[i] = ki.skey
      if (hasHistory(ki)) this.history.add(ki)
    }
    this.tree = BTreeMap.fromSorted(keys, kis)
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

  /**
   * The keys a compaction has to visit, in no particular order: every key that may hold
   * history (the others have nothing a compaction removes).
   */
  historyKeys(): IterableIterator<KeyIndex> {
    return this.history.values()
  }

  /** Compacts every key at atRev at once (see compactSlice). Returns the removed revisions. */
  compact(atRev: number): RemovedRevs {
    const removed: RemovedRevs = []
    this.compactSlice(this.history.values(), atRev, removed, Infinity)
    return removed
  }

  /**
   * Compacts at atRev up to `budget` more keys from `keys` (an iterator over historyKeys()
   * or values(), which may span turns of the event loop: keys added meanwhile are visited
   * too, and hold nothing at or below atRev), appending their removed revisions to `removed`
   * and dropping keys left with nothing. Returns true once the iterator is exhausted.
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
        this.history.delete(ki)
      } else if (!hasHistory(ki)) {
        this.history.delete(ki)
      }
    }
    return false
  }
}

/** Whether a compaction may remove something of `ki`: an earlier generation, or a revision before its last. */
function hasHistory(ki: KeyIndex): boolean {
  return ki.past !== null || ki.revs !== null
}
