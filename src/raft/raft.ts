/**
 * The Raft state machine of one member. It never does I/O: inputs are
 * tick(), step(message) and the persistence acknowledgements the RawNode
 * relays; outputs accumulate in `msgs`, `msgsAfterPersist`, `readStates`
 * and the log, and are collected by the RawNode into a Ready.
 *
 * Behaviour by role lives in the swapped `stepFn`/`tickFn` (see
 * step-leader.ts, step-candidate.ts, step-follower.ts).
 */
import { applyConfChangeTo, configFromConfState, decodeConfChange, type ConfChange } from './conf-change.js'
import { ErrCompacted, ErrInvalidConfChange, ErrSnapshotTemporarilyUnavailable } from './errors.js'
import { hasQuorum } from './quorum.js'
import { RaftLog } from './raft-log.js'
import { encodeRound, ReadOnly, type ReadRequest } from './read-only.js'
import { stepCandidate } from './step-candidate.js'
import { stepFollower } from './step-follower.js'
import { stepLeader } from './step-leader.js'
import type { Storage } from './storage.js'
import { ProgressTracker } from './tracker/tracker.js'
import type { Progress } from './tracker/progress.js'
import {
  isEmptyHardState,
  makeMessage,
  NONE,
  type ConfState,
  type Entry,
  type EntryType,
  type HardState,
  type Message,
  type MessageType,
  type NodeId,
  type ReadState,
  type Role,
  type Snapshot,
  type SoftState,
} from './types.js'

export interface RaftConfig {
  id: NodeId
  storage: Storage
  /** Ticks without hearing from a leader before campaigning (randomized in [electionTick, 2*electionTick)). */
  electionTick: number
  /** Ticks between leader heartbeats; must be smaller than electionTick. */
  heartbeatTick: number
  /** Uniform random number in [0, 1); inject a seeded one for determinism. */
  random: () => number
  /** Last index the application has applied (on restart). */
  applied?: number
  /** Byte budget of entries in one MsgApp (default 1 MiB). */
  maxSizePerMsg?: number
  /** MsgApp messages in flight per follower in replicate state (default 256). */
  maxInflightMsgs?: number
  /** Bytes in flight per follower (default unlimited). */
  maxInflightBytes?: number
  /** Byte budget of committed entries in one Ready (default unlimited). */
  maxCommittedSizePerReady?: number
  /**
   * Bytes of entry payload (data only) a leader keeps uncommitted before it
   * drops proposals with ErrProposalDropped; a proposal is always taken when
   * nothing is uncommitted. 0 or absent: unlimited (etcd's
   * MaxUncommittedEntriesSize).
   */
  maxUncommittedEntriesSize?: number
  /** A leader that has not heard from a quorum within an election timeout steps down. */
  checkQuorum?: boolean
  /** Run a pre-election before raising the term. */
  preVote?: boolean
}

export type StepFn = (r: Raft, m: Message) => void

/** Marks a vote request sent because of a leader transfer (bypasses lease checks). */
const CAMPAIGN_TRANSFER = new TextEncoder().encode('CampaignTransfer')

export function isTransferContext(ctx: Uint8Array | undefined): boolean {
  if (!ctx || ctx.byteLength !== CAMPAIGN_TRANSFER.byteLength) return false
  for (let i = 0; i < ctx.byteLength; i++) if (ctx[i] !== CAMPAIGN_TRANSFER[i]) return false
  return true
}

/** Responses that may only leave once this member's state is on disk. */
const AFTER_PERSIST: ReadonlySet<MessageType> = new Set<MessageType>(['MsgAppResp', 'MsgVoteResp'])
/** Forwarded requests carry no term: the leader treats them as local. */
const TERMLESS: ReadonlySet<MessageType> = new Set<MessageType>(['MsgProp', 'MsgReadIndex', 'MsgTransferLeader'])

export class Raft {
  readonly id: NodeId
  term = 0
  vote: NodeId = NONE
  lead: NodeId = NONE
  role: Role = 'follower'
  readonly log: RaftLog
  readonly tracker: ProgressTracker
  readonly electionTimeout: number
  readonly heartbeatTimeout: number
  readonly checkQuorum: boolean
  readonly preVote: boolean
  readonly maxSizePerMsg: number
  /** Limit of `uncommittedSize` (Infinity: none). */
  readonly maxUncommittedSize: number
  /** Payload bytes the leader appended in its term and has not yet seen applied. */
  uncommittedSize = 0
  private readonly random: () => number

  /** Messages that may be sent at once. */
  msgs: Message[] = []
  /** Messages to send only after the pending entries and hard state are persisted. */
  msgsAfterPersist: Message[] = []
  readStates: ReadState[] = []
  readOnly = new ReadOnly()
  /** ReadIndex requests held until the leader commits an entry of its term. */
  pendingReadIndex: Message[] = []

  electionElapsed = 0
  heartbeatElapsed = 0
  randomizedElectionTimeout = 0
  leadTransferee: NodeId = NONE
  /** A conf change at or below this index may still be unapplied (leader only). */
  pendingConfIndex = 0
  isLearner = false

  stepFn: StepFn = stepFollower
  tickFn: () => void = () => this.tickElection()

  constructor(cfg: RaftConfig) {
    if (cfg.id === NONE) throw new RangeError('raft: cannot use 0 as id')
    if (cfg.heartbeatTick <= 0) throw new RangeError('raft: heartbeatTick must be greater than 0')
    if (cfg.electionTick <= cfg.heartbeatTick)
      throw new RangeError('raft: electionTick must be greater than heartbeatTick')
    const maxInflight = cfg.maxInflightMsgs ?? 256
    if (maxInflight <= 0) throw new RangeError('raft: maxInflightMsgs must be greater than 0')
    this.id = cfg.id
    this.electionTimeout = cfg.electionTick
    this.heartbeatTimeout = cfg.heartbeatTick
    this.checkQuorum = cfg.checkQuorum ?? false
    this.preVote = cfg.preVote ?? false
    this.maxSizePerMsg = cfg.maxSizePerMsg ?? 1024 * 1024
    const maxUncommitted = cfg.maxUncommittedEntriesSize ?? 0
    if (!(maxUncommitted >= 0)) throw new RangeError('raft: maxUncommittedEntriesSize must not be negative')
    this.maxUncommittedSize = maxUncommitted === 0 ? Infinity : maxUncommitted
    this.random = cfg.random
    this.log = new RaftLog(cfg.storage, cfg.maxCommittedSizePerReady ?? Infinity)
    this.tracker = new ProgressTracker({ maxInflight, maxInflightBytes: cfg.maxInflightBytes })

    const { hardState, confState } = cfg.storage.initialState()
    this.tracker.setConfig(configFromConfState(confState), this.log.lastIndex() + 1)
    this.isLearner = this.tracker.config.learners.has(this.id)
    if (!isEmptyHardState(hardState)) this.loadState(hardState)
    if (cfg.applied !== undefined && cfg.applied > 0) this.log.appliedTo(cfg.applied)
    this.becomeFollower(this.term, NONE)
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.log.committed || hs.commit > this.log.lastIndex()) {
      throw new RangeError(`raft: commit ${hs.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`)
    }
    this.log.committed = hs.commit
    this.term = hs.term
    this.vote = hs.vote
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed }
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.role }
  }

  /** Whether this member may campaign: a voter without a snapshot to restore. */
  promotable(): boolean {
    return this.tracker.config.voters.has(this.id) && this.log.unstable.snapshot === undefined
  }

  // ---------------------------------------------------------------- sending

  /**
   * Queues a message. `from` defaults to this member; a forwarded request
   * keeps its own (the requester of a ReadIndex, the target of a transfer).
   */
  send(fields: Partial<Message> & { type: MessageType; to: NodeId }): void {
    const m = makeMessage(fields)
    if (m.from === NONE) m.from = this.id
    const voteLike =
      m.type === 'MsgVote' || m.type === 'MsgPreVote' || m.type === 'MsgVoteResp' || m.type === 'MsgPreVoteResp'
    if (!voteLike) m.term = TERMLESS.has(m.type) ? 0 : this.term
    if (AFTER_PERSIST.has(m.type)) this.msgsAfterPersist.push(m)
    else this.msgs.push(m)
  }

  /** Sends MsgApp (or MsgSnap) to `to` if it is not paused. */
  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true)
  }

  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to)
    if (!pr || pr.isPaused()) return false
    const prevIndex = pr.next - 1
    const prevTerm = this.log.term(prevIndex)
    if (prevTerm === undefined) return this.maybeSendSnapshot(to, pr)
    let entries: Entry[]
    try {
      entries = this.log.entriesFrom(pr.next, this.maxSizePerMsg)
    } catch (e) {
      if (e instanceof ErrCompacted) return this.maybeSendSnapshot(to, pr)
      throw e
    }
    if (entries.length === 0 && !sendIfEmpty) return false
    this.send({ type: 'MsgApp', to, index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed })
    const last = entries.length > 0 ? entries[entries.length - 1]!.index : prevIndex
    pr.sentEntries(last, entries.length, RaftLog.sizeOf(entries))
    return true
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false
    let snapshot: Snapshot
    try {
      snapshot = this.log.snapshot()
    } catch (e) {
      if (e instanceof ErrSnapshotTemporarilyUnavailable) return false
      throw e
    }
    if (snapshot.metadata.index === 0) throw new Error('raft: need a non-empty snapshot to catch up a follower')
    pr.becomeSnapshot(snapshot.metadata.index)
    this.send({ type: 'MsgSnap', to, snapshot })
    return true
  }

  bcastAppend(): void {
    for (const id of this.tracker.progress.keys()) if (id !== this.id) this.sendAppend(id)
  }

  sendHeartbeat(to: NodeId, context?: Uint8Array): void {
    const pr = this.tracker.progress.get(to)
    const commit = Math.min(pr?.match ?? 0, this.log.committed)
    this.send({ type: 'MsgHeartbeat', to, commit, context })
  }

  bcastHeartbeat(context?: Uint8Array): void {
    for (const id of this.tracker.progress.keys()) if (id !== this.id) this.sendHeartbeat(id, context)
  }

  sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'MsgTimeoutNow', to })
  }

  // ---------------------------------------------------------- role changes

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term
      this.vote = NONE
    }
    this.lead = NONE
    this.electionElapsed = 0
    this.heartbeatElapsed = 0
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(this.random() * this.electionTimeout)
    this.leadTransferee = NONE
    this.tracker.resetVotes()
    const next = this.log.lastIndex() + 1
    for (const [id, pr] of this.tracker.progress) {
      const fresh = this.tracker.newProgress(id === this.id ? this.log.persistedLastIndex() : 0, next, pr.isLearner)
      this.tracker.progress.set(id, fresh)
    }
    this.pendingConfIndex = 0
    this.uncommittedSize = 0
    this.readOnly = new ReadOnly()
    this.pendingReadIndex = []
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.stepFn = stepFollower
    this.reset(term)
    this.tickFn = () => this.tickElection()
    this.lead = lead
    this.role = 'follower'
  }

  becomeCandidate(): void {
    if (this.role === 'leader') throw new Error('raft: invalid transition [leader -> candidate]')
    this.stepFn = stepCandidate
    this.reset(this.term + 1)
    this.tickFn = () => this.tickElection()
    this.vote = this.id
    this.role = 'candidate'
  }

  becomePreCandidate(): void {
    if (this.role === 'leader') throw new Error('raft: invalid transition [leader -> pre-candidate]')
    // Neither the term nor the vote change: a pre-election is only a poll.
    this.stepFn = stepCandidate
    this.tracker.resetVotes()
    this.tickFn = () => this.tickElection()
    this.lead = NONE
    this.role = 'preCandidate'
  }

  becomeLeader(): void {
    if (this.role === 'follower') throw new Error('raft: invalid transition [follower -> leader]')
    this.stepFn = stepLeader
    this.reset(this.term)
    this.tickFn = () => this.tickHeartbeat()
    this.lead = this.id
    this.role = 'leader'
    const self = this.tracker.progress.get(this.id)
    if (self) {
      self.becomeReplicate()
      self.recentActive = true
    }
    // A conf change may hide in the uncommitted tail: allow none until it is applied.
    this.pendingConfIndex = this.log.lastIndex()
    // Committing an entry of our own term commits everything before it (and unlocks ReadIndex).
    this.appendEntries([{ type: 'normal', data: new Uint8Array(0) }])
  }

  // ------------------------------------------------------------ elections

  /** Starts an election if allowed; `transfer` skips the pre-vote and lease checks. */
  hup(transfer: boolean): void {
    if (this.role === 'leader') return
    if (!this.promotable()) return
    if (this.hasUnappliedConfChange()) return
    if (this.preVote && !transfer) this.campaign('preElection', false)
    else this.campaign('election', transfer)
  }

  private hasUnappliedConfChange(): boolean {
    if (this.log.committed <= this.log.applied) return false
    const lo = Math.max(this.log.applied + 1, this.log.firstIndex())
    if (lo > this.log.committed) return false
    for (const e of this.log.slice(lo, this.log.committed + 1)) if (e.type === 'confChange') return true
    return false
  }

  campaign(kind: 'preElection' | 'election', transfer: boolean): void {
    let term: number
    let type: 'MsgVote' | 'MsgPreVote'
    if (kind === 'preElection') {
      this.becomePreCandidate()
      type = 'MsgPreVote'
      term = this.term + 1
      this.tracker.recordVote(this.id, true)
      if (this.tracker.tallyVotes().result === 'won') {
        this.campaign('election', transfer)
        return
      }
    } else {
      this.becomeCandidate()
      type = 'MsgVote'
      term = this.term
      // Our own vote counts only once it is on disk.
      this.msgsAfterPersist.push(makeMessage({ type: 'MsgVoteResp', to: this.id, from: this.id, term }))
    }
    const index = this.log.lastIndex()
    const logTerm = this.log.lastTerm()
    for (const id of this.tracker.config.voters) {
      if (id === this.id) continue
      this.send({ type, to: id, term, index, logTerm, context: transfer ? CAMPAIGN_TRANSFER : undefined })
    }
  }

  /** Records a (pre-)vote answer and acts on the outcome. */
  poll(from: NodeId, granted: boolean): void {
    this.tracker.recordVote(from, granted)
    const { result } = this.tracker.tallyVotes()
    if (result === 'won') {
      if (this.role === 'preCandidate') this.campaign('election', false)
      else {
        this.becomeLeader()
        this.bcastAppend()
      }
    } else if (result === 'lost') {
      this.becomeFollower(this.term, NONE)
    }
  }

  // ----------------------------------------------------------------- ticks

  tick(): void {
    this.tickFn()
  }

  private tickElection(): void {
    this.electionElapsed++
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0
      this.hup(false)
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++
    this.electionElapsed++
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0
      if (this.checkQuorum) {
        const active = this.tracker.quorumActive(this.id)
        for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false
        if (!active) {
          this.becomeFollower(this.term, NONE)
          return
        }
      }
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.leadTransferee !== NONE) this.leadTransferee = NONE
    }
    if (this.role !== 'leader') return
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0
      this.bcastHeartbeat()
    }
  }

  // ------------------------------------------------------------------ step

  step(m: Message): void {
    if (m.term === 0) {
      // local or forwarded request
    } else if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout
        // We heard from a leader recently: do not let this member disrupt it.
        if (inLease && !isTransferContext(m.context)) return
      }
      if (m.type === 'MsgPreVote') {
        // a poll: our term stays
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // our term moves when the real election starts
      } else if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') {
        this.becomeFollower(m.term, m.from)
      } else {
        this.becomeFollower(m.term, NONE)
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
        // A stale leader: our higher term in the answer makes it step down.
        this.send({ type: 'MsgAppResp', to: m.from })
      } else if (m.type === 'MsgPreVote') {
        this.send({ type: 'MsgPreVoteResp', to: m.from, term: this.term, reject: true })
      }
      return
    }

    if (m.type === 'MsgVote' || m.type === 'MsgPreVote') this.handleVoteRequest(m)
    else this.stepFn(this, m)
  }

  private handleVoteRequest(m: Message): void {
    const respType = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp'
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === 'MsgPreVote' && m.term > this.term)
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.send({ type: respType, to: m.from, term: m.term })
      if (m.type === 'MsgVote') {
        this.electionElapsed = 0
        this.vote = m.from
      }
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true })
    }
  }

  // ------------------------------------------------------ follower handlers

  handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send({ type: 'MsgAppResp', to: m.from, index: this.log.committed })
      return
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries)
    if (lastNew !== undefined) {
      this.send({ type: 'MsgAppResp', to: m.from, index: lastNew })
      return
    }
    // Tell the leader where our log might match so it skips whole terms at once.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm)
    this.send({
      type: 'MsgAppResp',
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    })
  }

  handleHeartbeat(m: Message): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()))
    this.send({ type: 'MsgHeartbeatResp', to: m.from, context: m.context })
  }

  handleSnapshot(m: Message): void {
    const snap = m.snapshot
    if (snap && this.restore(snap)) {
      this.send({ type: 'MsgAppResp', to: m.from, index: this.log.lastIndex() })
    } else {
      this.send({ type: 'MsgAppResp', to: m.from, index: this.log.committed })
    }
  }

  /** Installs a snapshot from the leader; false if it brings nothing new. */
  private restore(s: Snapshot): boolean {
    const { index, term } = s.metadata
    if (index <= this.log.committed) return false
    if (this.log.matchTerm(index, term)) {
      // We already have the log up to the snapshot: just learn the commit.
      this.log.commitTo(index)
      return false
    }
    this.log.restore(s)
    this.tracker.progress.clear()
    this.tracker.setConfig(configFromConfState(s.metadata.confState), this.log.lastIndex() + 1)
    this.isLearner = this.tracker.config.learners.has(this.id)
    return true
  }

  // -------------------------------------------------------- leader helpers

  /** Appends proposals to the leader's log; they count for our own match once persisted. */
  appendEntries(ents: ReadonlyArray<{ type: EntryType; data: Uint8Array }>): void {
    let index = this.log.lastIndex()
    const entries: Entry[] = ents.map((e) => ({ term: this.term, index: ++index, type: e.type, data: e.data }))
    this.log.append(entries)
  }

  /**
   * Counts proposals against maxUncommittedEntriesSize; false if they would
   * exceed it (and nothing is counted). Anything goes when nothing is uncommitted.
   */
  increaseUncommittedSize(ents: ReadonlyArray<{ data: Uint8Array }>): boolean {
    let size = 0
    for (const e of ents) size += e.data.byteLength
    if (this.uncommittedSize > 0 && this.uncommittedSize + size > this.maxUncommittedSize) return false
    this.uncommittedSize += size
    return true
  }

  /** Entries were applied: their payload no longer counts (never below 0). */
  reduceUncommittedSize(ents: readonly Entry[]): void {
    if (this.uncommittedSize === 0) return
    let size = 0
    for (const e of ents) size += e.data.byteLength
    this.uncommittedSize = Math.max(0, this.uncommittedSize - size)
  }

  /** Advances commit to what a quorum has; only entries of this term count (Raft §5.4.2). */
  maybeCommit(): boolean {
    return this.log.maybeCommit(this.tracker.committed(), this.term)
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term
  }

  /** Called after the leader's commit index moved: tell followers, serve held reads. */
  onCommitAdvanced(): void {
    this.bcastAppend()
    if (this.pendingReadIndex.length > 0 && this.committedEntryInCurrentTerm()) {
      const held = this.pendingReadIndex
      this.pendingReadIndex = []
      for (const m of held) this.stepFn(this, m)
    }
  }

  /** Delivers confirmed reads: locally as ReadStates, to followers as MsgReadIndexResp. */
  respondToRead(req: Pick<ReadRequest, 'index' | 'ctx' | 'from'>): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index: req.index, requestCtx: req.ctx })
    } else {
      this.send({ type: 'MsgReadIndexResp', to: req.from, index: req.index, context: req.ctx })
    }
  }

  releaseConfirmedReads(): void {
    const voters = this.tracker.config.voters
    const released = this.readOnly.release((round) =>
      hasQuorum(voters, (id) => id === this.id || this.readOnly.ackedRound(id) >= round),
    )
    for (const req of released) this.respondToRead(req)
  }

  /** Starts one heartbeat round for every ReadIndex request that arrived since the last one. */
  flushReadIndex(): void {
    if (this.role !== 'leader' || !this.readOnly.hasUnsent()) return
    const round = this.readOnly.startRound()
    this.bcastHeartbeat(encodeRound(round))
    this.releaseConfirmedReads() // a leader alone in its configuration confirms at once
  }

  // ------------------------------------------------- persistence & config

  /** The application persisted the log up to (index, term). */
  onPersisted(index: number, term: number): void {
    if (this.role !== 'leader' || !this.log.matchTerm(index, term)) return
    const self = this.tracker.progress.get(this.id)
    if (self && self.maybeUpdate(index) && this.maybeCommit()) this.onCommitAdvanced()
  }

  /** Applies a committed configuration change; returns the resulting membership. */
  applyConfChange(cc: ConfChange): ConfState {
    let cfg
    try {
      cfg = applyConfChangeTo(this.tracker.config, cc)
    } catch (e) {
      // Every member rejects the same change at the same index: the configuration stays.
      if (e instanceof ErrInvalidConfChange) return this.tracker.confState()
      throw e
    }
    this.tracker.setConfig(cfg, this.log.lastIndex() + 1)
    this.isLearner = cfg.learners.has(this.id)
    if (this.role !== 'leader') return this.tracker.confState()
    if (!cfg.voters.has(this.id)) {
      // Removed (or never a voter): let followers learn the commit, then step down.
      this.bcastAppend()
      this.becomeFollower(this.term, NONE)
      return this.tracker.confState()
    }
    if (this.leadTransferee !== NONE && !cfg.voters.has(this.leadTransferee)) this.leadTransferee = NONE
    if (this.maybeCommit()) this.onCommitAdvanced()
    else for (const id of this.tracker.progress.keys()) if (id !== this.id) this.maybeSendAppend(id, false)
    this.releaseConfirmedReads()
    return this.tracker.confState()
  }

  /** Decodes a committed confChange entry and applies it. */
  applyConfChangeEntry(e: Entry): ConfState {
    return this.applyConfChange(decodeConfChange(e.data))
  }
}
