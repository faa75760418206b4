/**
 * What the leader knows about one follower's log, and how it replicates to
 * it:
 * - probe: the follower's match is unknown; one MsgApp at a time, then wait
 *   for an answer (or the next heartbeat response).
 * - replicate: the follower is in sync; entries stream optimistically within
 *   the inflight window.
 * - snapshot: a snapshot was sent; nothing else is sent until it is applied
 *   or reported as failed.
 */
import { Inflights } from './inflights.js'

export type ProgressState = 'probe' | 'replicate' | 'snapshot'

export class Progress {
  /** Highest index known to be persisted on the follower. */
  match: number
  /** Next index to send. */
  next: number
  state: ProgressState = 'probe'
  /** Index of the snapshot in flight (snapshot state only). */
  pendingSnapshot = 0
  /** Heard from since the last CheckQuorum round. */
  recentActive = false
  /** In probe state: a MsgApp is outstanding, wait before sending another. */
  probeSent = false
  isLearner: boolean
  readonly inflights: Inflights

  constructor(opts: {
    match: number
    next: number
    isLearner: boolean
    maxInflight: number
    maxInflightBytes?: number
  }) {
    this.match = opts.match
    this.next = opts.next
    this.isLearner = opts.isLearner
    this.inflights = new Inflights(opts.maxInflight, opts.maxInflightBytes)
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false
    this.pendingSnapshot = 0
    this.state = state
    this.inflights.reset()
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot
      this.resetState('probe')
      this.next = Math.max(this.match + 1, pending + 1)
    } else {
      this.resetState('probe')
      this.next = this.match + 1
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate')
    this.next = this.match + 1
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot')
    this.pendingSnapshot = snapshotIndex
  }

  /**
   * Records that a MsgApp was sent carrying `count` entries ending at
   * `lastIndex` (`bytes` of payload).
   */
  sentEntries(lastIndex: number, count: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1
        this.inflights.add(lastIndex, bytes)
      }
    } else if (this.state === 'probe') {
      this.probeSent = true
    } else {
      throw new Error('progress: sending entries in snapshot state')
    }
  }

  /** Follower acknowledged `n`. Returns false if the acknowledgement is stale. */
  maybeUpdate(n: number): boolean {
    let updated = false
    if (this.match < n) {
      this.match = n
      updated = true
      this.probeSent = false
    }
    this.next = Math.max(this.next, n + 1)
    return updated
  }

  /**
   * Follower rejected a MsgApp whose previous index was `rejected`;
   * `matchHint` is the highest index it might still match. Returns false if
   * the rejection is stale (answers an older message).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false
      this.next = this.match + 1
      return true
    }
    if (this.next - 1 !== rejected) return false
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1)
    this.probeSent = false
    return true
  }

  /** Whether sending another MsgApp must wait. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent
      case 'replicate':
        return this.inflights.full()
      case 'snapshot':
        return true
    }
  }
}
