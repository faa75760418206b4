/**
 * The leader's (and candidate's) view of the cluster: the membership
 * configuration, one Progress per member, and the votes of the current
 * election.
 */
import { committedIndex, hasQuorum, voteResult, type VoteResult } from '../quorum.js'
import { confStateOf, EMPTY_CONFIG, type MembershipConfig } from '../conf-change.js'
import type { ConfState, NodeId } from '../types.js'
import { Progress } from './progress.js'

export interface TrackerLimits {
  maxInflight: number
  maxInflightBytes?: number
}

export class ProgressTracker {
  config: MembershipConfig = EMPTY_CONFIG
  readonly progress = new Map<NodeId, Progress>()
  readonly votes = new Map<NodeId, boolean>()
  private readonly matchOf = (id: NodeId): number | undefined => this.progress.get(id)?.match

  constructor(private readonly limits: TrackerLimits) {}

  newProgress(match: number, next: number, isLearner: boolean): Progress {
    return new Progress({
      match,
      next,
      isLearner,
      maxInflight: this.limits.maxInflight,
      maxInflightBytes: this.limits.maxInflightBytes,
    })
  }

  /**
   * Switches to `cfg`: members that left lose their progress, new members
   * get a fresh one starting at `nextIndex` (recently active), and learner
   * flags are updated.
   */
  setConfig(cfg: MembershipConfig, nextIndex: number): void {
    this.config = cfg
    for (const id of [...this.progress.keys()]) {
      if (!cfg.voters.has(id) && !cfg.learners.has(id)) this.progress.delete(id)
    }
    for (const id of cfg.voters) this.ensure(id, false, nextIndex)
    for (const id of cfg.learners) this.ensure(id, true, nextIndex)
  }

  /**
   * A member new to the configuration counts as recently active: it gets one
   * CheckQuorum round to show up, and may be sent a snapshot at once.
   */
  private ensure(id: NodeId, isLearner: boolean, nextIndex: number): void {
    const pr = this.progress.get(id)
    if (pr) {
      pr.isLearner = isLearner
      return
    }
    const fresh = this.newProgress(0, nextIndex, isLearner)
    fresh.recentActive = true
    this.progress.set(id, fresh)
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters.has(id)
  }

  isSingleton(): boolean {
    return this.config.voters.size === 1
  }

  confState(): ConfState {
    return confStateOf(this.config)
  }

  /** Highest index persisted on a majority of voters. */
  committed(): number {
    return committedIndex(this.config.voters, this.matchOf)
  }

  /** Whether a majority of voters was recently active (`self` always is). */
  quorumActive(self: NodeId): boolean {
    return hasQuorum(this.config.voters, (id) => id === self || this.progress.get(id)?.recentActive === true)
  }

  resetVotes(): void {
    this.votes.clear()
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted)
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0
    let rejected = 0
    for (const id of this.config.voters) {
      const v = this.votes.get(id)
      if (v === true) granted++
      else if (v === false) rejected++
    }
    return { granted, rejected, result: voteResult(this.config.voters, this.votes) }
  }
}
