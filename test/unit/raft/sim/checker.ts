/**
 * Safety invariants of Raft, checked against every member after every
 * simulated step:
 * - election safety: at most one leader per term;
 * - log matching: an (index, term) pair always names the same entry, with
 *   the same predecessor term;
 * - leader completeness: a leader of term T holds every entry committed
 *   (applied anywhere) while the cluster was at a term below T;
 * - state machine safety: no two members apply different entries at an index;
 * - no stale reads: a ReadIndex answer covers every write applied anywhere
 *   before the read was issued.
 */
import type { Entry, NodeId, RawNode } from '../../../../src/raft/index.js';

export class InvariantViolation extends Error {}

export function entryKey(e: Pick<Entry, 'term' | 'type' | 'data'>): string {
  return `${e.term}/${e.type}/${Buffer.from(e.data).toString('hex')}`;
}

export class Checker {
  /** committed[i] = key of the entry applied at index i (by anyone). */
  readonly committed: string[] = [''];
  /** Term of the first member that applied index i (an upper bound of the term that committed it). */
  private readonly committedAtTerm: number[] = [0];
  private readonly leaders = new Map<number, NodeId>();
  /** "index:term" -> key and predecessor term. */
  private readonly entries = new Map<string, { key: string; prevTerm: number }>();
  /** Last index checked per member, to keep log matching incremental. */
  private readonly seenLog = new Map<NodeId, { lastIndex: number; lastTerm: number }>();
  readonly stats = { leadersElected: 0, applied: 0, reads: 0 };

  fail(msg: string): never {
    throw new InvariantViolation(msg);
  }

  get committedIndex(): number {
    return this.committed.length - 1;
  }

  /** Election safety, and leader completeness when a leader is first seen. */
  observeRole(id: NodeId, rn: RawNode): void {
    const r = rn.raft;
    if (r.role !== 'leader') return;
    const known = this.leaders.get(r.term);
    if (known === undefined) {
      this.leaders.set(r.term, id);
      this.stats.leadersElected++;
      this.checkCompleteness(id, rn, 1);
    } else if (known !== id) {
      this.fail(`two leaders in term ${r.term}: ${known} and ${id}`);
    }
  }

  private checkCompleteness(id: NodeId, rn: RawNode, from: number): void {
    const r = rn.raft;
    const first = r.log.firstIndex();
    for (let i = Math.max(from, first); i <= this.committedIndex; i++) {
      if (this.committedAtTerm[i]! >= r.term) continue;
      const t = r.log.term(i);
      const key = this.committed[i]!;
      if (t === undefined || !key.startsWith(`${t}/`)) {
        this.fail(`leader completeness: leader ${id} of term ${r.term} lacks committed entry ${i} (${key}), has term ${t}`);
      }
    }
  }

  /** Log matching over the member's whole log (storage and unstable tail). */
  observeLog(id: NodeId, rn: RawNode, full = false): void {
    const log = rn.raft.log;
    const last = log.lastIndex();
    const lastTerm = log.lastTerm();
    const seen = full ? undefined : this.seenLog.get(id);
    // Re-check only from where the log may have changed: the tail since the last look.
    let from = log.firstIndex();
    if (seen && log.term(seen.lastIndex) === seen.lastTerm) from = Math.max(from, Math.min(seen.lastIndex, last) - 8);
    if (from > last) {
      this.seenLog.set(id, { lastIndex: last, lastTerm });
      return;
    }
    const ents = log.slice(from, last + 1);
    let prevTerm = log.term(from - 1) ?? -1;
    for (const e of ents) {
      const k = `${e.index}:${e.term}`;
      const key = entryKey(e);
      const known = this.entries.get(k);
      if (!known) this.entries.set(k, { key, prevTerm });
      else {
        if (known.key !== key) this.fail(`log matching: entry ${k} differs: ${known.key} vs ${key} on ${id}`);
        if (prevTerm !== -1 && known.prevTerm !== -1 && known.prevTerm !== prevTerm) {
          this.fail(`log matching: entry ${k} on ${id} follows term ${prevTerm}, elsewhere ${known.prevTerm}`);
        }
      }
      prevTerm = e.term;
    }
    this.seenLog.set(id, { lastIndex: last, lastTerm });
  }

  /** State machine safety: `id` applies `e` at e.index while at `term`. */
  observeApply(id: NodeId, e: Entry, term: number, leaders: Array<[NodeId, RawNode]>): void {
    const key = entryKey(e);
    if (e.index < this.committed.length) {
      if (this.committed[e.index] !== key) {
        this.fail(`state machine safety: ${id} applies ${key} at ${e.index}, committed was ${this.committed[e.index]}`);
      }
      return;
    }
    if (e.index !== this.committed.length) this.fail(`${id} applies index ${e.index} with history only up to ${this.committedIndex}`);
    this.committed.push(key);
    this.committedAtTerm.push(term);
    this.stats.applied++;
    for (const [lid, rn] of leaders) this.checkCompleteness(lid, rn, e.index);
  }

  /** A state machine restored from a snapshot must be a prefix of history. */
  observeRestore(id: NodeId, keys: readonly string[]): void {
    for (let i = 1; i < keys.length; i++) {
      if (i >= this.committed.length) this.fail(`${id} restored entry ${i} never applied anywhere`);
      if (this.committed[i] !== keys[i]) this.fail(`${id} restored ${keys[i]} at ${i}, committed was ${this.committed[i]}`);
    }
  }

  /** A ReadIndex answer must not be older than what was applied when the read began. */
  observeRead(id: NodeId, index: number, appliedAtIssue: number): void {
    this.stats.reads++;
    if (index < appliedAtIssue) this.fail(`stale read on ${id}: read index ${index} < ${appliedAtIssue} applied when issued`);
  }
}
