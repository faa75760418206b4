/**
 * The whole log as the core sees it: persisted entries (Storage) followed by
 * the unstable tail, plus the commit and apply cursors.
 *
 *   snapshot/first ... applied <= committed <= last
 *   [ storage .................. ][ unstable ......... ]
 */
import { ErrCompacted, ErrUnavailable } from './errors.js'
import { UnstableLog } from './log-unstable.js'
import { limitSize, type Storage } from './storage.js'
import { entrySize, type Entry, type Snapshot } from './types.js'

export class RaftLog {
  readonly unstable: UnstableLog
  committed: number
  applied: number

  constructor(
    readonly storage: Storage,
    /** Byte budget of committed entries handed out per Ready. */
    readonly maxApplyingSize = Infinity,
  ) {
    const first = storage.firstIndex()
    const last = storage.lastIndex()
    this.unstable = new UnstableLog(last + 1)
    this.committed = first - 1
    this.applied = first - 1
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex()
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex()
  }

  /** Last index already persisted (entries beyond it are still unstable). */
  persistedLastIndex(): number {
    if (this.unstable.snapshot) return this.unstable.snapshot.metadata.index - 1
    return this.unstable.offset - 1
  }

  /** Term of entry i, or undefined if it is compacted away or beyond the log. */
  term(i: number): number | undefined {
    const t = this.unstable.maybeTerm(i)
    if (t !== undefined) return t
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined
    try {
      return this.storage.term(i)
    } catch (e) {
      if (e instanceof ErrCompacted || e instanceof ErrUnavailable) return undefined
      throw e
    }
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex())
    if (t === undefined) throw new Error(`raft log: unexpected missing term at last index ${this.lastIndex()}`)
    return t
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t
  }

  /** Whether a log ending at (lastIndex, term) is at least as up to date as ours (§5.4.1). */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm()
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex())
  }

  /**
   * Appends `ents` after (index, logTerm) if our log has that entry,
   * resolving conflicts, and advances commit up to `committed`. Returns the
   * index of the last new entry, or undefined if (index, logTerm) does not match.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined
    const lastNew = index + ents.length
    const ci = this.findConflict(ents)
    if (ci !== 0) {
      if (ci <= this.committed)
        throw new Error(`raft log: entry ${ci} conflicts with committed entry [committed(${this.committed})]`)
      this.append(ents.slice(ci - (index + 1)))
    }
    this.commitTo(Math.min(committed, lastNew))
    return lastNew
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex()
    const after = ents[0]!.index - 1
    if (after < this.committed) throw new Error(`raft log: append after ${after} is below committed ${this.committed}`)
    this.unstable.truncateAndAppend(ents)
    return this.lastIndex()
  }

  /**
   * Index of the first entry of `ents` that is new or whose term differs
   * from ours; 0 if all are already present.
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index
    }
    return 0
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term:
   * where a log ending at (index, term) can possibly match ours. Used for
   * the fast backtracking of rejected appends.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i >= 0; i--) {
      const t = this.term(i)
      if (t === undefined) return { index: i, term: 0 }
      if (t <= term) return { index: i, term: t }
    }
    return { index: 0, term: 0 }
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries.slice()
  }

  hasUnstableEntries(): boolean {
    return this.unstable.entries.length > 0
  }

  /** Committed entries not yet handed to the application. */
  nextCommittedEntries(): Entry[] {
    if (this.unstable.snapshot) return [] // the snapshot must be applied first
    const lo = Math.max(this.applied + 1, this.firstIndex())
    const hi = this.committed + 1
    if (lo >= hi) return []
    return this.slice(lo, hi, this.maxApplyingSize)
  }

  hasNextCommittedEntries(): boolean {
    if (this.unstable.snapshot) return false
    return this.committed + 1 > Math.max(this.applied + 1, this.firstIndex())
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot()
  }

  /** Entries from `lo` to the end, within `maxSize`. Throws ErrCompacted if lo is compacted. */
  entriesFrom(lo: number, maxSize: number): Entry[] {
    if (lo > this.lastIndex()) return []
    return this.slice(lo, this.lastIndex() + 1, maxSize)
  }

  /** Entries in [lo, hi) within `maxSize` (at least one). Throws ErrCompacted if lo is compacted. */
  slice(lo: number, hi: number, maxSize = Infinity): Entry[] {
    if (lo < this.firstIndex()) throw new ErrCompacted()
    if (hi > this.lastIndex() + 1)
      throw new RangeError(`raft log: slice[${lo},${hi}) beyond last index ${this.lastIndex()}`)
    if (lo === hi) return []
    let ents: Entry[] = []
    const uoff = this.unstable.offset
    if (lo < uoff) {
      ents = this.storage.entries(lo, Math.min(hi, uoff), maxSize)
      if (ents.length < Math.min(hi, uoff) - lo) return ents // hit the size limit
    }
    if (hi > uoff) {
      const tail = this.unstable.slice(Math.max(lo, uoff), hi)
      ents = ents.length > 0 ? ents.concat(tail) : tail
    }
    return limitSize(ents, maxSize)
  }

  /** Size in bytes of the given entries. */
  static sizeOf(ents: readonly Entry[]): number {
    let n = 0
    for (const e of ents) n += entrySize(e)
    return n
  }

  commitTo(toCommit: number): void {
    if (this.committed < toCommit) {
      if (this.lastIndex() < toCommit) {
        throw new Error(`raft log: commit ${toCommit} is out of range [lastIndex(${this.lastIndex()})]`)
      }
      this.committed = toCommit
    }
  }

  /** Commits `maxIndex` if it belongs to `term` (only current-term entries commit by counting, §5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex)
      return true
    }
    return false
  }

  appliedTo(i: number): void {
    if (i === 0) return
    if (this.committed < i || i < this.applied) {
      throw new Error(
        `raft log: applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`,
      )
    }
    this.applied = i
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t)
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i)
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index
    this.unstable.restore(s)
  }
}
