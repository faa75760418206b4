/**
 * Safety invariants of Raft, checked against every member after every
 * simulated step:
 * - election safety: at most one leader per term;
 * - log matching: an (index, term) pair always names the same entry, with
 *   the same predecessor term;
 * - commit safety: no two members ever consider different entries committed
 *   at the same index;
 * - commit rule (§5.4.2, Figure 8): a leader moves its commit index only to
 *   an entry of its own term (older entries commit with it, never by count);
 * - leader completeness: a leader of term T holds every entry committed in a
 *   term up to T (the term of the leader that committed an entry is the
 *   lowest term of any member seen with that entry committed);
 * - state machine safety: no two members apply different entries at an index;
 * - no stale reads: a ReadIndex answer covers every entry committed anywhere
 *   before the read was issued, and goes to the member that asked.
 */
import type { Entry, NodeId, RawNode } from '../../../../src/raft/index.js'

export class InvariantViolation extends Error {}

export function entryKey(e: Pick<Entry, 'term' | 'type' | 'data'>): string {
  return `${e.term}/${e.type}/${Buffer.from(e.data).toString('hex')}`
}

export interface SimStats {
  leadersElected: number
  applied: number
  reads: number
  /** Moments with two members that both believe they lead. */
  twoLeaders: number
  /** ReadIndex requests issued on a leader while a higher term existed. */
  deposedReads: number
  /** ReadStates handed to a leader while a higher term existed. */
  deposedReadsAnswered: number
}

export class Checker {
  /** committed[i] = key of the entry applied at index i (by anyone). */
  readonly committed: string[] = ['']
  /** Key of the entry committed at i, when some member had it in its log when it saw the commit. */
  private readonly commitKeys: Array<string | undefined> = ['']
  /** Lowest term of a member that saw index i committed: the term of the leader that committed it. */
  private readonly commitTerms: number[] = [0]
  /** Commit index already checked per member. */
  private readonly commitSeen = new Map<NodeId, number>()
  /** Term in which each member was last seen leading. */
  private readonly leadingTerm = new Map<NodeId, number>()
  private readonly leaders = new Map<number, NodeId>()
  /** "index:term" -> key and predecessor term. */
  private readonly entries = new Map<string, { key: string; prevTerm: number }>()
  /** Last index checked per member, to keep log matching incremental. */
  private readonly seenLog = new Map<NodeId, { lastIndex: number; lastTerm: number }>()
  readonly stats: SimStats = {
    leadersElected: 0,
    applied: 0,
    reads: 0,
    twoLeaders: 0,
    deposedReads: 0,
    deposedReadsAnswered: 0,
  }

  fail(msg: string): never {
    throw new InvariantViolation(msg)
  }

  get committedIndex(): number {
    return this.committed.length - 1
  }

  /** Highest index known committed anywhere so far. */
  get maxCommitted(): number {
    return this.commitTerms.length - 1
  }

  /** Election safety, and leader completeness when a leader is first seen. */
  observeRole(id: NodeId, rn: RawNode): void {
    const r = rn.raft
    if (r.role !== 'leader') return
    const known = this.leaders.get(r.term)
    if (known === undefined) {
      this.leaders.set(r.term, id)
      this.stats.leadersElected++
      this.checkCompleteness(id, rn, 1)
    } else if (known !== id) {
      this.fail(`two leaders in term ${r.term}: ${known} and ${id}`)
    }
  }

  /**
   * Commit safety for what `id` now considers committed, and leader
   * completeness of the live `leaders` for indexes newly known committed.
   */
  observeCommit(id: NodeId, rn: RawNode, leaders: Array<[NodeId, RawNode]>): void {
    const r = rn.raft
    const commit = r.log.committed
    const seen = this.commitSeen.get(id) ?? 0
    const ledBefore = this.leadingTerm.get(id) === r.term
    this.commitSeen.set(id, commit)
    if (r.role === 'leader') this.leadingTerm.set(id, r.term)
    else this.leadingTerm.delete(id)
    if (commit <= seen) return
    if (r.role === 'leader' && ledBefore && r.log.term(commit) !== r.term) {
      this.fail(
        `commit rule: leader ${id} of term ${r.term} committed up to ${commit}, an entry of term ${r.log.term(commit)}`,
      )
    }
    const firstNew = this.commitTerms.length
    const lo = Math.max(seen + 1, r.log.firstIndex())
    const ents = lo <= commit ? r.log.slice(lo, commit + 1) : []
    for (let i = seen + 1; i <= commit; i++) {
      const e = i >= lo ? ents[i - lo] : undefined
      const key = e ? entryKey(e) : undefined
      if (i >= this.commitTerms.length) {
        this.commitTerms.push(r.term)
        this.commitKeys.push(key)
        continue
      }
      const known = this.commitKeys[i]
      if (key !== undefined && known !== undefined && key !== known) {
        this.fail(`commit safety: ${id} has ${key} committed at ${i}, committed elsewhere was ${known}`)
      }
      if (known === undefined) this.commitKeys[i] = key
      if (r.term < this.commitTerms[i]!) this.commitTerms[i] = r.term
    }
    if (this.commitTerms.length > firstNew) for (const [lid, lrn] of leaders) this.checkCompleteness(lid, lrn, firstNew)
  }

  private checkCompleteness(id: NodeId, rn: RawNode, from: number): void {
    const r = rn.raft
    const first = r.log.firstIndex()
    for (let i = Math.max(from, first); i <= this.maxCommitted; i++) {
      // Committed by a leader of a later term: this one is deposed and need not have it.
      if (this.commitTerms[i]! > r.term) continue
      const t = r.log.term(i)
      const key = this.commitKeys[i] ?? this.committed[i]
      if (t === undefined || (key !== undefined && !key.startsWith(`${t}/`))) {
        this.fail(
          `leader completeness: leader ${id} of term ${r.term} lacks entry ${i} (${key}) committed in term ${this.commitTerms[i]}, has term ${t}`,
        )
      }
    }
  }

  /** Log matching over the member's whole log (storage and unstable tail). */
  observeLog(id: NodeId, rn: RawNode, full = false): void {
    const log = rn.raft.log
    const last = log.lastIndex()
    const lastTerm = log.lastTerm()
    const seen = full ? undefined : this.seenLog.get(id)
    // Re-check only from where the log may have changed: the tail since the last look.
    let from = log.firstIndex()
    if (seen && log.term(seen.lastIndex) === seen.lastTerm) from = Math.max(from, Math.min(seen.lastIndex, last) - 8)
    if (from > last) {
      this.seenLog.set(id, { lastIndex: last, lastTerm })
      return
    }
    const ents = log.slice(from, last + 1)
    let prevTerm = log.term(from - 1) ?? -1
    for (const e of ents) {
      const k = `${e.index}:${e.term}`
      const key = entryKey(e)
      const known = this.entries.get(k)
      if (!known) this.entries.set(k, { key, prevTerm })
      else {
        if (known.key !== key) this.fail(`log matching: entry ${k} differs: ${known.key} vs ${key} on ${id}`)
        if (prevTerm !== -1 && known.prevTerm !== -1 && known.prevTerm !== prevTerm) {
          this.fail(`log matching: entry ${k} on ${id} follows term ${prevTerm}, elsewhere ${known.prevTerm}`)
        }
      }
      prevTerm = e.term
    }
    this.seenLog.set(id, { lastIndex: last, lastTerm })
  }

  /** State machine safety: `id` applies `e` at e.index. */
  observeApply(id: NodeId, e: Entry): void {
    const key = entryKey(e)
    if (e.index < this.committed.length) {
      if (this.committed[e.index] !== key) {
        this.fail(`state machine safety: ${id} applies ${key} at ${e.index}, committed was ${this.committed[e.index]}`)
      }
      return
    }
    if (e.index !== this.committed.length)
      this.fail(`${id} applies index ${e.index} with history only up to ${this.committedIndex}`)
    if (e.index > this.maxCommitted)
      this.fail(`${id} applies index ${e.index} that nobody saw committed (max ${this.maxCommitted})`)
    const known = this.commitKeys[e.index]
    if (known !== undefined && known !== key)
      this.fail(`state machine safety: ${id} applies ${key} at ${e.index}, committed was ${known}`)
    this.committed.push(key)
    this.stats.applied++
  }

  /** A state machine restored from a snapshot must be a prefix of history. */
  observeRestore(id: NodeId, keys: readonly string[]): void {
    for (let i = 1; i < keys.length; i++) {
      if (i >= this.committed.length) this.fail(`${id} restored entry ${i} never applied anywhere`)
      if (this.committed[i] !== keys[i])
        this.fail(`${id} restored ${keys[i]} at ${i}, committed was ${this.committed[i]}`)
    }
  }

  /**
   * A ReadIndex answer goes to the member that asked, and is not older than
   * what was committed anywhere when the read was issued (linearizability).
   */
  observeRead(id: NodeId, index: number, issue: { by: NodeId; committed: number }): void {
    this.stats.reads++
    if (issue.by !== id) this.fail(`read answered on ${id}, but ${issue.by} asked`)
    if (index < issue.committed)
      this.fail(`stale read on ${id}: read index ${index} < ${issue.committed} committed when issued`)
  }
}
