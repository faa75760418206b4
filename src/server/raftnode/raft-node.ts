/**
 * The raft loop of a member: ticks the Raft core, and for each Ready sends the messages that
 * may go early, persists entries and hard state to the WAL (one write, one fsync: all
 * proposals that arrived since the last turn ride in it), sends the rest, applies committed
 * entries, serves read states, and advances. One Ready is in flight at a time; proposals and
 * peer messages that arrive meanwhile are stepped into the core and go out with the next.
 *
 * Every `snapshotCount` applied entries it makes the applied state durable, records a raft
 * snapshot (metadata only: the state itself is the backend) and compacts the in-memory log,
 * keeping `catchUpEntries` for slow followers; older WAL segments and snapshot files are
 * purged by --max-wals / --max-snapshots.
 *
 * A snapshot's WAL marker is always written in the same WAL write as the hard state (whose
 * commit is at or past the marker), after the snapshot file: at every crash point the WAL
 * names only snapshots whose file exists and whose index it may start from. A snapshot from
 * the leader is made durable (file, marker) before its database replaces the live one.
 *
 * A failure of the loop is fatal: it is logged, pending requests fail, and `onFatal` is told
 * (the server ends the process); it never leaves a member that looks healthy and serves
 * nothing.
 */
import {
  RawNode,
  MemoryStorage,
  isEmptySnapshot,
  decodeConfChange,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type ReadState,
  type Snapshot,
  type SoftState,
} from '../../raft/index.js'
import type { Wal, WalEntry } from '../wal/index.js'
import type { Snapshotter } from '../snap/index.js'
import type { Logger } from '../log.js'
import { EntrySlab } from './entry-slab.js'

export interface RaftTransport {
  send(msgs: readonly Message[]): void
  sendSnapshot(msg: Message, body: AsyncIterable<Uint8Array>): Promise<boolean>
}

/** Raft's message size limit; queued proposals go to raft in batches of about this many bytes. */
const PROPOSAL_BATCH_BYTES = 1024 * 1024

/** What the loop needs from the member's applied state. */
export interface RaftApplication {
  /** Applies committed entries in order (synchronously); conf changes go to `node.applyConfChange`. */
  applyEntries(entries: Entry[], node: RaftNode): void
  /** Replaces the applied state with the one received with `snapshot` (already staged). */
  restore(snapshot: Snapshot): Promise<void>
  /** Makes everything applied so far durable (before a raft snapshot lets the WAL go). */
  syncApplied(): void
  /**
   * The applied state, streamed to a follower that needs a snapshot, and the applied index
   * it is taken at (the view is taken when this is called).
   */
  snapshotBody(): { index: number; body: AsyncIterable<Uint8Array> }
  readStates(states: ReadState[]): void
  softState(state: SoftState): void
}

export interface RaftNodeOptions {
  id: bigint
  storage: MemoryStorage
  wal: Wal
  snapshotter: Snapshotter
  transport: RaftTransport
  app: RaftApplication
  logger: Logger
  tickMs: number
  electionTick: number
  heartbeatTick: number
  preVote: boolean
  /** Raft index already reflected in the restored raft state (snapshot index). */
  applied: number
  snapshotCount: number
  maxWals: number
  maxSnapshots: number
  /** Fast-forward the first election on a single-member cluster. */
  advanceTicks?: number
  /**
   * Campaign as soon as the log read on start is applied when this member is then the only
   * voter: its own vote elects it, so waiting out the rest of an election timeout gains nothing.
   */
  campaignAlone?: boolean
  /** Told once when the loop fails; the member cannot go on. */
  onFatal?: (err: Error) => void
  /**
   * Told of a batch of proposals raft refused (ErrProposalDropped: no leader to take them, a
   * leader transfer); a refusal never ends the loop.
   */
  proposalsDropped: (datas: Uint8Array[], err: Error) => void
}

function toWal(e: Entry): WalEntry {
  return { term: e.term, index: e.index, type: e.type, data: e.data }
}

export class RaftNode {
  readonly raw: RawNode
  private readonly storage: MemoryStorage
  /** Owns the data of the entries the storage keeps (see entry-slab.ts). */
  private readonly slab = new EntrySlab()
  private ticker?: NodeJS.Timeout
  private turning = false
  private scheduled = false
  private stopped = false
  private failed?: Error
  private appliedIndex: number
  /** campaignAlone: not yet decided whether to campaign at once. */
  private aloneCheck: boolean
  private snapshotIndex: number
  private confState: ConfState = { voters: [], learners: [] }
  private lead = 0n
  /** When the last heartbeat to each follower left (performance.now()). */
  private readonly lastHeartbeat = new Map<bigint, number>()
  /** Heartbeats that left late (etcd_server_heartbeat_send_failures_total). */
  heartbeatSendFailures = 0
  private term = 0
  private readonly idle: (() => void)[] = []
  /** Proposals queued since the loop last turned. */
  private proposals: Uint8Array[] = []
  /** The term this member led when the queued proposals were made (0: it did not lead). */
  private queuedLeaderTerm = 0
  /** Proposals queued while leading a term that ended before they reached raft. */
  proposalsLost = 0
  private readonly refused = new Set<string>()
  /** The latest hard state from raft, and the one last written to the WAL. */
  private hardState: HardState
  private synced: HardState
  /** Last log index known to be in the WAL. */
  private persistedIndex: number
  /**
   * Appends without entries (a new commit index for a follower) held back while the entries
   * of their Ready are applied: they leave once the answers to the clients have been written.
   */
  private notices: Message[] = []
  private noticesScheduled = false

  constructor(private readonly o: RaftNodeOptions) {
    this.storage = o.storage
    this.raw = new RawNode({
      id: o.id,
      storage: o.storage,
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      random: Math.random,
      applied: o.applied,
      checkQuorum: true,
      preVote: o.preVote,
      maxSizePerMsg: PROPOSAL_BATCH_BYTES,
      maxInflightMsgs: 256,
      // A leader cut off from its majority stops taking proposals past this much
      // uncommitted payload (they fail by timeout) instead of growing without bound.
      maxUncommittedEntriesSize: 1 << 30,
    })
    this.appliedIndex = o.applied
    this.aloneCheck = o.campaignAlone === true
    this.snapshotIndex = o.storage.snapshot().metadata.index
    this.confState = o.storage.snapshot().metadata.confState
    this.hardState = this.synced = o.storage.initialState().hardState
    this.persistedIndex = o.storage.lastIndex()
  }

  start(): void {
    for (let i = 0; i < (this.o.advanceTicks ?? 0); i++) this.raw.tick()
    this.ticker = setInterval(() => {
      this.raw.tick()
      this.kick()
    }, this.o.tickMs)
    this.kick()
  }

  get leader(): bigint {
    return this.lead
  }

  get currentTerm(): number {
    return this.term
  }

  get applied(): number {
    return this.appliedIndex
  }

  /** Raft's commit index as last handed out (etcd_server_proposals_committed_total). */
  get committed(): number {
    return this.hardState.commit
  }

  get lastIndex(): number {
    return this.storage.lastIndex()
  }

  get conf(): ConfState {
    return this.confState
  }

  /** Set once the loop has failed: the member serves no writes. */
  get failure(): Error | undefined {
    return this.failed
  }

  /**
   * Queues `data` for proposal. Everything queued when the loop next turns is proposed as one
   * batch (one log append, one MsgApp per follower); a batch raft refuses (no leader, a leader
   * transfer, too much uncommitted) goes to `proposalsDropped`. Throws only once the loop has
   * failed or stopped.
   */
  propose(data: Uint8Array): void {
    this.checkRunning()
    const leaderTerm = this.leaderTerm()
    // A queue holds proposals of one role and term only.
    if (this.proposals.length > 0 && leaderTerm !== this.queuedLeaderTerm) this.takeProposals()
    if (this.proposals.length === 0) this.queuedLeaderTerm = leaderTerm
    this.proposals.push(data)
    this.kick()
  }

  /** The term this member leads in raft right now, 0 when it is not the leader. */
  private leaderTerm(): number {
    const r = this.raw.raft
    return r.role === 'leader' ? r.term : 0
  }

  /**
   * Hands the queued proposals to raft in batches of at most PROPOSAL_BATCH_BYTES (a
   * follower forwards each batch to the leader as one message; one proposal larger than that
   * goes alone).
   */
  private takeProposals(): void {
    const queued = this.proposals
    if (queued.length === 0) return
    this.proposals = []
    // Proposals made while leading a term belong to that term, as if appended to the log then:
    // if this member no longer leads it, they are lost (their requests time out), as what a
    // deposed leader appended is. Forwarded to the next leader instead, a lease revoke decided
    // by the deposed leader's lessor would undo renewals that only the new leader saw.
    if (this.queuedLeaderTerm !== 0 && this.leaderTerm() !== this.queuedLeaderTerm) {
      this.proposalsLost += queued.length
      return
    }
    let start = 0
    let bytes = 0
    for (let i = 0; i < queued.length; i++) {
      const n = queued[i].length
      if (i > start && bytes + n > PROPOSAL_BATCH_BYTES) {
        this.proposeBatch(queued.slice(start, i))
        start = i
        bytes = 0
      }
      bytes += n
    }
    this.proposeBatch(start === 0 ? queued : queued.slice(start))
  }

  private proposeBatch(batch: Uint8Array[]): void {
    try {
      this.raw.proposeAll(batch)
    } catch (err) {
      this.o.proposalsDropped(batch, err as Error)
    }
  }

  /** Throws ErrProposalDropped without a leader, ErrConfChangePending while another change is in flight. */
  proposeConfChange(cc: ConfChange): void {
    this.checkRunning()
    this.raw.proposeConfChange(cc)
    this.kick()
  }

  readIndex(ctx: Uint8Array): void {
    this.checkRunning()
    this.raw.readIndex(ctx)
    this.kick()
  }

  step(msg: Message): void {
    if (this.stopped) return
    try {
      this.raw.step(msg)
    } catch (err) {
      // A message the core refuses points at a damaged or lost log: say so once per reason.
      const reason = `${msg.type}: ${(err as Error).message}`
      if (!this.refused.has(reason)) {
        this.refused.add(reason)
        this.o.logger.warn('raft refused a message', { type: msg.type, from: msg.from, error: (err as Error).message })
      }
    }
    this.kick()
  }

  reportUnreachable(id: bigint): void {
    this.raw.reportUnreachable(id)
  }

  reportSnapshot(id: bigint, ok: boolean): void {
    this.raw.reportSnapshot(id, ok ? 'success' : 'failure')
    this.kick()
  }

  transferLeader(to: bigint): void {
    this.raw.transferLeader(to)
    this.kick()
  }

  applyConfChange(data: Uint8Array): void {
    this.confState = this.raw.applyConfChange(decodeConfChange(data))
  }

  private checkRunning(): void {
    if (this.failed) throw this.failed
    if (this.stopped) throw new Error('raft node stopped')
  }

  private kick(): void {
    if (this.scheduled || this.turning || this.stopped) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      void this.turn()
    })
  }

  private async turn(): Promise<void> {
    if (this.turning || this.stopped) return
    this.turning = true
    try {
      while (!this.stopped) {
        this.takeProposals()
        if (!this.raw.hasReady()) {
          if (!this.campaignIfAlone()) break
          continue
        }
        await this.handleReady()
      }
    } catch (err) {
      this.failed = err as Error
      this.stopped = true
      if (this.ticker) clearInterval(this.ticker)
      this.o.logger.error('raft loop failed; the member stops', {
        error: (err as Error).message,
        stack: (err as Error).stack,
      })
      this.o.onFatal?.(err as Error)
    } finally {
      this.turning = false
      for (const f of this.idle.splice(0)) f()
    }
  }

  /**
   * With campaignAlone, once everything committed is applied (the configuration is then the
   * one the log holds): starts an election if this member is the only voter and no leader is
   * known, and stops trying either way. True when it started one.
   */
  private campaignIfAlone(): boolean {
    if (!this.aloneCheck) return false
    const s = this.raw.status()
    if (s.applied < s.commit && s.lead === 0n) return false
    this.aloneCheck = false
    const voters = s.config.voters
    if (s.lead !== 0n || s.role === 'leader' || voters.length !== 1 || voters[0] !== s.id) return false
    this.raw.campaign()
    return true
  }

  private async handleReady(): Promise<void> {
    const rd = this.raw.ready()
    if (rd.hardState) this.term = rd.hardState.term
    if (rd.softState) {
      if (rd.softState.lead !== this.lead) this.lastHeartbeat.clear()
      this.lead = rd.softState.lead
      this.o.app.softState(rd.softState)
    }
    this.send(rd.messages, rd.committedEntries.length > 0)

    if (rd.hardState) this.hardState = rd.hardState
    if (rd.snapshot && !isEmptySnapshot(rd.snapshot)) {
      const snap = rd.snapshot
      // Durable first (file, then marker with the hard state), then the database swap: a
      // crash in between restarts from this snapshot and installs its received database.
      await this.o.snapshotter.save({ metadata: snap.metadata, data: new Uint8Array(0) })
      await this.saveMarker(snap.metadata.index, snap.metadata.term)
      await this.o.app.restore(snap)
      this.storage.applySnapshot(snap)
      this.appliedIndex = snap.metadata.index
      this.snapshotIndex = snap.metadata.index
      this.persistedIndex = snap.metadata.index
      this.confState = snap.metadata.confState
      this.o.logger.info('applied snapshot from leader', { index: snap.metadata.index, term: snap.metadata.term })
    }
    // Entries about to be (re)written are not durable until the write below completes.
    if (rd.entries.length > 0) this.persistedIndex = Math.min(this.persistedIndex, rd.entries[0].index - 1)
    // Entries, term and vote must be durable before anything depends on them; a new commit
    // index alone need not be (raft learns it again), so it rides along with the next write.
    const hs = this.hardState
    const mustSync = rd.entries.length > 0 || hs.term !== this.synced.term || hs.vote !== this.synced.vote
    let saving: Promise<void> | undefined
    if (mustSync) {
      saving = this.o.wal.save(hs, rd.entries.map(toWal))
      // The write starts now: the disk works while the entries below are applied. (If
      // applying throws, the loop fails; the write's outcome no longer matters.)
      saving.catch(() => undefined)
      this.o.wal.flush()
    }
    // Committed entries already durable here are applied (and answered) while the new
    // entries are written: a client's result does not wait for the next batch's fsync.
    let committed = rd.committedEntries
    let early = 0
    while (early < committed.length && committed[early].index <= this.persistedIndex) early++
    if (early > 0) {
      this.apply(committed.slice(0, early))
      committed = committed.slice(early)
    }
    if (saving) {
      await saving
      this.synced = hs
    }
    if (rd.entries.length > 0) {
      this.storage.append(this.slab.pack(rd.entries))
      this.persistedIndex = rd.entries[rd.entries.length - 1].index
    }
    if (rd.hardState) this.storage.setHardState(rd.hardState)
    this.send(rd.messagesAfterPersist)

    if (committed.length > 0) this.apply(committed)
    if (rd.readStates.length > 0) this.o.app.readStates(rd.readStates)
    this.raw.advance()
    if (this.appliedIndex - this.snapshotIndex >= this.o.snapshotCount) await this.snapshot()
  }

  private apply(entries: Entry[]): void {
    this.o.app.applyEntries(entries, this)
    this.appliedIndex = entries[entries.length - 1].index
  }

  /**
   * A leader's heartbeats to one follower should leave every heartbeat interval; one that
   * leaves more than two intervals after the previous one means the loop was held up (etcd's
   * timeout detector), counted and logged as etcd does.
   */
  private heartbeatSent(to: bigint): void {
    const now = performance.now()
    const last = this.lastHeartbeat.get(to)
    this.lastHeartbeat.set(to, now)
    if (last === undefined) return
    const exceed = now - last - 2 * this.o.tickMs
    if (exceed <= 0) return
    this.heartbeatSendFailures++
    this.o.logger.warn(
      'leader failed to send out heartbeat on time; took too long, leader is overloaded likely from slow disk',
      {
        to: to.toString(16),
        'heartbeat-interval': goMillis(this.o.tickMs),
        'expected-duration': goMillis(2 * this.o.tickMs),
        'exceeded-duration': goMillis(exceed),
      },
    )
  }

  private readonly sendNotices = (): void => {
    this.noticesScheduled = false
    this.flushNotices()
  }

  private flushNotices(): void {
    if (this.notices.length === 0 || this.stopped) return
    const held = this.notices
    this.notices = []
    this.o.transport.send(held)
  }

  /**
   * Sends `msgs` after the notices still held. With `holdNotices` (a Ready that commits
   * entries), its appends without entries are held in `notices` until the next turn of the
   * event loop: such a message only tells a follower the commit index, which the next append
   * or heartbeat tells it too, and written after this Ready's entries are applied, it does not
   * hold back the answers to their clients.
   */
  private send(msgs: readonly Message[], holdNotices = false): void {
    if (msgs.length === 0) return
    this.flushNotices()
    const plain: Message[] = []
    for (const m of msgs) {
      if (m.type === 'MsgSnap') void this.sendSnapshot(m)
      else if (holdNotices && m.type === 'MsgApp' && m.entries.length === 0) this.notices.push(m)
      else {
        if (m.type === 'MsgHeartbeat') this.heartbeatSent(m.to)
        plain.push(m)
      }
    }
    if (plain.length > 0) this.o.transport.send(plain)
    if (this.notices.length > 0 && !this.noticesScheduled) {
      this.noticesScheduled = true
      setImmediate(this.sendNotices)
    }
  }

  /**
   * A follower behind the compacted log gets the current applied state. As etcd's merged
   * snapshot, the message names the index the state is taken at (at or after the raft
   * snapshot's), so the follower's database and its raft snapshot agree.
   */
  private async sendSnapshot(m: Message): Promise<void> {
    const { index, body } = this.o.app.snapshotBody()
    if (index !== this.appliedIndex || m.snapshot === undefined || index < m.snapshot.metadata.index) {
      // Replaying after a restart: the state is ahead of what raft has applied. Try later.
      await closeBody(body)
      this.raw.reportSnapshot(m.to, 'failure')
      this.kick()
      this.o.logger.info('snapshot to member postponed: applied state not settled', {
        to: m.to,
        applied: this.appliedIndex,
        state: index,
      })
      return
    }
    const msg: Message = {
      ...m,
      snapshot: {
        metadata: { index, term: this.storage.term(index), confState: this.confState },
        data: new Uint8Array(0),
      },
    }
    const ok = await this.o.transport.sendSnapshot(msg, body)
    this.o.logger.info('sent snapshot to member', { to: m.to, index, ok })
  }

  /** The snapshot marker and the current hard state, in one WAL write. */
  private async saveMarker(index: number, term: number): Promise<void> {
    const hs = this.hardState
    await this.o.wal.saveSnapshot({ index, term }, hs)
    this.synced = hs
  }

  private async snapshot(): Promise<void> {
    const index = this.appliedIndex
    this.o.app.syncApplied()
    const snap = this.storage.createSnapshot(index, this.confState, new Uint8Array(0))
    await this.o.snapshotter.save(snap)
    await this.saveMarker(index, snap.metadata.term)
    this.snapshotIndex = index
    const catchUp = Math.min(5000, this.o.snapshotCount)
    // After a restart from a snapshot (or installing one) the log may already start there.
    const compactTo = index - catchUp
    if (compactTo > this.storage.firstIndex() - 1) this.storage.compact(compactTo)
    this.o.wal.releaseTo(index)
    const purgedWals = await this.o.wal.purge(this.o.maxWals)
    const purgedSnaps = await this.o.snapshotter.purge(this.o.maxSnapshots)
    this.o.logger.info('saved snapshot', {
      'snapshot-index': index,
      'compacted-to': Math.max(0, index - catchUp),
      'purged-wals': purgedWals.length,
      'purged-snapshots': purgedSnaps.length,
    })
  }

  /**
   * Runs `fn` between two turns of the loop: nothing is persisted, applied or sent while it
   * runs (ticks and incoming messages queue up in raft and are handled afterwards).
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.turning) await new Promise<void>((resolve) => this.idle.push(resolve))
    this.turning = true
    try {
      return await fn()
    } finally {
      this.turning = false
      for (const f of this.idle.splice(0)) f()
      this.kick()
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.ticker) clearInterval(this.ticker)
    if (this.turning) await new Promise<void>((resolve) => this.idle.push(resolve))
  }
}

async function closeBody(body: AsyncIterable<Uint8Array>): Promise<void> {
  const it = body[Symbol.asyncIterator]()
  await it.return?.().catch(() => undefined)
}

/** A millisecond duration as Go prints a time.Duration ("150ms", "1.2s"). */
function goMillis(ms: number): string {
  if (ms < 1000) return `${Number(ms.toFixed(3))}ms`
  return `${Number((ms / 1000).toFixed(6))}s`
}
