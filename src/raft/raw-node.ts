/**
 * The application's handle on one Raft member: feed it inputs, collect a
 * Ready, act on it, advance(). See index.ts for the contract.
 */
import { applyConfChangeTo, encodeConfChange, type ConfChange } from './conf-change.js'
import { ErrInvalidMessage, ErrProposalDropped, ErrReadyContract } from './errors.js'
import { Raft, type RaftConfig } from './raft.js'
import type { ProgressState } from './tracker/progress.js'
import { messageDefect } from './validate.js'
import {
  hardStateEqual,
  isEmptyHardState,
  isResponseMessage,
  makeMessage,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type ReadState,
  type Role,
  type Snapshot,
  type SoftState,
} from './types.js'

export interface Ready {
  /** Set when the leader or this member's role changed. Not persisted. */
  softState?: SoftState
  /** Set when term, vote or commit changed: persist it with `entries`. */
  hardState?: HardState
  /** Answers to ReadIndex requests. */
  readStates: ReadState[]
  /** Entries to append to storage (replacing any conflicting suffix). */
  entries: Entry[]
  /** A snapshot from the leader: persist it, restore the state machine from it. */
  snapshot?: Snapshot
  /** Entries to apply, in order (persist `entries` first: some may be among them). */
  committedEntries: Entry[]
  /** May be sent at once, even before this Ready is persisted. */
  messages: Message[]
  /** Send only after `hardState`, `entries` and `snapshot` are persisted. */
  messagesAfterPersist: Message[]
}

export interface ProgressStatus {
  match: number
  next: number
  state: ProgressState
  isLearner: boolean
  recentActive: boolean
}

export interface Status {
  id: NodeId
  term: number
  vote: NodeId
  commit: number
  applied: number
  lead: NodeId
  role: Role
  leadTransferee: NodeId
  config: ConfState
  /** Leader only. */
  progress?: Map<NodeId, ProgressStatus>
}

export type SnapshotStatus = 'success' | 'failure'

export class RawNode {
  /** The state machine itself, for diagnostics and tests; drive it through RawNode. */
  readonly raft: Raft
  private prevSoftState: SoftState
  private prevHardState: HardState
  private inProgress: Ready | undefined
  private selfMessages: Message[] = []

  constructor(config: RaftConfig) {
    this.raft = new Raft(config)
    this.prevSoftState = this.raft.softState()
    this.prevHardState = this.raft.hardState()
  }

  get id(): NodeId {
    return this.raft.id
  }

  /** Advances logical time by one tick (elections, heartbeats, CheckQuorum). */
  tick(): void {
    this.raft.tick()
  }

  /** Starts an election now (a pre-election first if PreVote is enabled). */
  campaign(): void {
    this.raft.hup(false)
  }

  /** Proposes data to be appended to the log. Throws ErrProposalDropped. */
  propose(data: Uint8Array): void {
    this.proposeAll([data])
  }

  /**
   * Proposes several entries in one message: one append to the log and one MsgApp per
   * follower for all of them (a follower forwards them to the leader as one MsgProp). They are
   * taken or refused together.
   */
  proposeAll(datas: readonly Uint8Array[]): void {
    const entries = new Array<Entry>(datas.length)
    for (let i = 0; i < datas.length; i++) entries[i] = { term: 0, index: 0, type: 'normal', data: datas[i] }
    this.raft.step(makeMessage({ type: 'MsgProp', from: this.raft.id, entries }))
  }

  /**
   * Proposes a membership change. Throws ErrInvalidConfChange if it cannot
   * apply to the current configuration, ErrConfChangePending if another is
   * in flight (on the leader), ErrProposalDropped if there is no leader.
   */
  proposeConfChange(cc: ConfChange): void {
    applyConfChangeTo(this.raft.tracker.config, cc) // validation only
    const data = encodeConfChange(cc)
    this.raft.step(
      makeMessage({ type: 'MsgProp', from: this.raft.id, entries: [{ term: 0, index: 0, type: 'confChange', data }] }),
    )
  }

  /**
   * Feeds a message received from a peer. Dropped forwarded proposals are
   * ignored. Throws ErrInvalidMessage, changing nothing, if a field is out of
   * what the core can represent (ids not bigint >= 0; term, logTerm, index,
   * commit, rejectHint, entry and snapshot terms/indexes not safe integers >= 0).
   */
  step(m: Message): void {
    const defect = messageDefect(m)
    if (defect !== undefined) throw new ErrInvalidMessage(`raft: invalid message field: ${defect}`)
    if (m.type === 'MsgSnapStatus' || m.type === 'MsgUnreachable') return // local only, see report*()
    if (isResponseMessage(m.type) && !this.raft.tracker.progress.has(m.from) && m.type !== 'MsgReadIndexResp') return
    try {
      this.raft.step(m)
    } catch (e) {
      if (e instanceof ErrProposalDropped) return
      throw e
    }
  }

  /**
   * Asks for a linearizable read point; the answer arrives as a ReadState
   * carrying `ctx` in a later Ready. Throws ErrProposalDropped without a leader.
   */
  readIndex(ctx: Uint8Array): void {
    this.raft.step(makeMessage({ type: 'MsgReadIndex', from: this.raft.id, context: ctx }))
  }

  /** Asks the leader to hand leadership to `target`. */
  transferLeader(target: NodeId): void {
    this.raft.step(makeMessage({ type: 'MsgTransferLeader', from: target }))
  }

  /** Applies a committed conf change; call it while applying the entry. Returns the new membership. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc)
  }

  /** The transport could not reach `id`. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(makeMessage({ type: 'MsgUnreachable', from: id }))
  }

  /** The transport delivered (or failed to deliver) a MsgSnap to `id`. */
  reportSnapshot(id: NodeId, status: SnapshotStatus): void {
    this.raft.step(makeMessage({ type: 'MsgSnapStatus', from: id, reject: status === 'failure' }))
  }

  status(): Status {
    const r = this.raft
    const s: Status = {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      lead: r.lead,
      role: r.role,
      leadTransferee: r.leadTransferee,
      config: r.tracker.confState(),
    }
    if (r.role === 'leader') {
      s.progress = new Map()
      for (const [id, pr] of r.tracker.progress) {
        s.progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
        })
      }
    }
    return s
  }

  private softStateChanged(): boolean {
    const ss = this.raft.softState()
    return ss.lead !== this.prevSoftState.lead || ss.role !== this.prevSoftState.role
  }

  /** Whether ready() has something; false while a Ready awaits advance(). */
  hasReady(): boolean {
    if (this.inProgress) return false
    const r = this.raft
    if (this.softStateChanged()) return true
    const hs = r.hardState()
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardState)) return true
    if (r.log.unstable.snapshot || r.log.hasUnstableEntries() || r.log.hasNextCommittedEntries()) return true
    if (r.msgs.length > 0 || r.msgsAfterPersist.length > 0 || r.readStates.length > 0) return true
    return r.role === 'leader' && r.readOnly.hasUnsent()
  }

  /**
   * Collects everything the application must do now. Must be followed by
   * advance() before the next ready().
   */
  ready(): Ready {
    if (this.inProgress) throw new ErrReadyContract('raft: ready() called again before advance()')
    const r = this.raft
    r.flushReadIndex()
    const rd: Ready = {
      readStates: r.readStates,
      entries: r.log.unstableEntries(),
      committedEntries: r.log.nextCommittedEntries(),
      messages: r.msgs,
      messagesAfterPersist: [],
    }
    for (const m of r.msgsAfterPersist) (m.to === r.id ? this.selfMessages : rd.messagesAfterPersist).push(m)
    r.msgs = []
    r.msgsAfterPersist = []
    r.readStates = []
    if (this.softStateChanged()) rd.softState = r.softState()
    const hs = r.hardState()
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardState)) rd.hardState = hs
    if (r.log.unstable.snapshot) rd.snapshot = r.log.unstable.snapshot
    this.inProgress = rd
    return rd
  }

  /**
   * The last Ready was handled: its entries, hard state and snapshot are
   * persisted, its messages sent, its committed entries applied.
   */
  advance(): void {
    const rd = this.inProgress
    if (!rd) throw new ErrReadyContract('raft: advance() without a pending ready()')
    this.inProgress = undefined
    const r = this.raft
    if (rd.softState) this.prevSoftState = rd.softState
    if (rd.hardState) this.prevHardState = rd.hardState
    let applied = 0
    if (rd.snapshot) {
      r.log.stableSnapTo(rd.snapshot.metadata.index)
      applied = rd.snapshot.metadata.index
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]!
      r.log.stableTo(last.index, last.term)
      r.onPersisted(last.index, last.term)
    }
    r.reduceUncommittedSize(rd.committedEntries)
    if (rd.committedEntries.length > 0)
      applied = Math.max(applied, rd.committedEntries[rd.committedEntries.length - 1]!.index)
    if (applied > r.log.applied) r.log.appliedTo(applied)
    const self = this.selfMessages
    this.selfMessages = []
    for (const m of self) this.step(m)
  }
}
