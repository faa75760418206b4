/**
 * The persisted log as the Raft core reads it. The application writes to
 * its storage (entries and hard state from each Ready) before calling
 * advance(); the core only ever reads through this interface.
 */
import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable } from './errors.js'
import { EMPTY_HARD_STATE, entrySize, type ConfState, type Entry, type HardState, type Snapshot } from './types.js'

export interface InitialState {
  hardState: HardState
  /** Membership as of the latest snapshot. */
  confState: ConfState
}

export interface Storage {
  initialState(): InitialState
  /**
   * Entries in [lo, hi), at least one if any, and no more than `maxSize`
   * bytes beyond the first. Throws ErrCompacted if lo < firstIndex(),
   * ErrUnavailable if hi > lastIndex() + 1.
   */
  entries(lo: number, hi: number, maxSize?: number): Entry[]
  /** Term of entry i; valid for firstIndex()-1 <= i <= lastIndex(). Throws ErrCompacted / ErrUnavailable. */
  term(i: number): number
  /** Index of the first entry still available (snapshot index + 1). */
  firstIndex(): number
  lastIndex(): number
  /** The most recent snapshot. May throw ErrSnapshotTemporarilyUnavailable. */
  snapshot(): Snapshot
}

/** Keeps at most `maxSize` bytes of entries, but always at least one. */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0 || maxSize === Infinity) return ents
  let size = entrySize(ents[0]!)
  let n = 1
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!)
    if (size > maxSize) break
  }
  return n === ents.length ? ents : ents.slice(0, n)
}

const emptyConfState = (): ConfState => ({ voters: [], learners: [] })

/** Storage kept in memory: for tests, and as the cache in front of a WAL. */
export class MemoryStorage implements Storage {
  private hardState: HardState = { ...EMPTY_HARD_STATE }
  private snap: Snapshot = { metadata: { index: 0, term: 0, confState: emptyConfState() }, data: new Uint8Array(0) }
  /** ents[0] is a placeholder holding the snapshot's index and term. */
  private ents: Entry[] = [{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }]

  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: structuredClone(this.snap.metadata.confState) }
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs }
  }

  private offset(): number {
    return this.ents[0]!.index
  }

  firstIndex(): number {
    return this.offset() + 1
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1
  }

  term(i: number): number {
    const off = this.offset()
    if (i < off) throw new ErrCompacted()
    if (i - off >= this.ents.length) throw new ErrUnavailable()
    return this.ents[i - off]!.term
  }

  entries(lo: number, hi: number, maxSize = Infinity): Entry[] {
    const off = this.offset()
    if (lo <= off) throw new ErrCompacted()
    if (hi > this.lastIndex() + 1) throw new ErrUnavailable()
    return limitSize(this.ents.slice(lo - off, hi - off), maxSize)
  }

  snapshot(): Snapshot {
    return this.snap
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index) throw new ErrSnapOutOfDate()
    this.snap = snap
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: 'normal', data: new Uint8Array(0) }]
  }

  /**
   * Records a snapshot of the application state at `index` (which must be
   * applied, hence <= lastIndex). Does not discard entries: see compact().
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) throw new ErrSnapOutOfDate()
    if (index > this.lastIndex())
      throw new RangeError(`snapshot index ${index} is beyond last index ${this.lastIndex()}`)
    const term = this.term(index)
    this.snap = { metadata: { index, term, confState: structuredClone(confState) }, data }
    return this.snap
  }

  /**
   * Discards entries before `compactIndex`, which becomes the placeholder.
   * Compacting to or below the current compaction point (firstIndex() - 1)
   * is a no-op: that log is already gone (etcd returns ErrCompacted there,
   * which its server ignores).
   */
  compact(compactIndex: number): void {
    const off = this.offset()
    if (compactIndex <= off) return
    if (compactIndex > this.lastIndex())
      throw new RangeError(`compact ${compactIndex} is beyond last index ${this.lastIndex()}`)
    const keep = this.ents.slice(compactIndex - off)
    keep[0] = { term: keep[0]!.term, index: compactIndex, type: 'normal', data: new Uint8Array(0) }
    this.ents = keep
  }

  /** Appends entries, replacing any existing suffix they conflict with. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return
    const first = this.firstIndex()
    const last = entries[0]!.index + entries.length - 1
    if (last < first) return // all already compacted
    const from = Math.max(first, entries[0]!.index)
    const ents = entries.slice(from - entries[0]!.index)
    const at = from - this.offset()
    if (at > this.ents.length) {
      throw new RangeError(`missing log entry [last: ${this.lastIndex()}, append at: ${from}]`)
    }
    this.ents.length = at
    for (const e of ents) this.ents.push(e)
  }
}
