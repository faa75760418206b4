/**
 * The member's core, on top of Raft.
 *
 * Writes: each request gets an ID, a waiter, and is proposed; every member applies every
 * committed entry, and the member that proposed it answers its client from the result.
 * While there is no leader, proposals wait (up to the request timeout) for one, as etcd's do.
 *
 * Linearizable reads: all reads that arrive in one event-loop turn share one ReadIndex
 * request; once the leader has confirmed its leadership and this member has applied up to
 * the returned index, they are served from the local store. Serializable reads are served
 * from the local store at once. A ReadIndex request's context is unique in the cluster and
 * across restarts (member ID, a random incarnation, a counter), so a late answer to another
 * member's or an earlier process's request is never taken for one of ours.
 */
import { formatDuration } from '../../go/duration.js'
import { randomBytes } from 'node:crypto'
import { Errors } from '../../errors/rpctypes.js'
import type {
  CompactionRequest,
  CompactionResponseInit,
  DeleteRangeRequest,
  DeleteRangeResponseInit,
  PutRequest,
  PutResponseInit,
  RangeRequest,
  ResponseHeaderInit,
  StatusResponseInit,
  HashKVRequest,
  HashKVResponseInit,
  AlarmMember,
  AlarmRequest,
  AlarmResponseInit,
  DefragmentResponseInit,
  HashResponseInit,
  TxnRequest,
  TxnResponseInit,
} from '../../gen/etcdserverpb.js'
import { decodeInternalRequest, encodeInternalRequest, type InternalRequest } from '../../gen/tsetcdpb.js'
import type { Entry, ReadState, SoftState } from '../../raft/index.js'
import { ErrProposalDropped } from '../../raft/index.js'
import type { RaftNode } from '../raftnode/raft-node.js'
import type { Logger } from '../log.js'
import type { CallContext, CoreKv, CoreMaintenance, RangeResultInit } from './core.js'
import { abortReasonOf, ProposalWaiter, ReadWaiter } from './call-watch.js'
import type { StateMachine } from '../apply/applier.js'
import { ETCD_VERSION } from '../../version.js'
import { BackendQuota } from './quota.js'
import { isTxnReadOnly, isTxnSerializable } from '../apply/kv.js'
import { alarmString } from '../apply/alarm.js'
import { AlarmRequest_AlarmAction, AlarmType } from '../../gen/etcdserverpb.js'
import type { AuthGate } from './auth-gate.js'

export interface ServerIdentity {
  memberId: bigint
  clusterId: bigint
}

interface ReadBatch {
  ctx: Buffer
  waiters: ReadWaiter[]
  timer?: NodeJS.Timeout
}

export interface EtcdServerOptions {
  /** How long a request waits for its result (etcd: 5 s + 2 × election timeout). */
  requestTimeoutMs: number
  logger: Logger
  /** --quota-backend-bytes (0: etcd's default of 2 GiB; negative: no quota). */
  quotaBackendBytes?: number
  /** --experimental-warning-apply-duration: applying one batch longer than this logs a warning (etcd: 100ms). */
  warningApplyDurationMs?: number
  /** The raised alarms (the alarm store's view). */
  alarms?: () => AlarmMember[]
  /**
   * Defragments the backend. `hold(swap)` runs `swap` while nothing is applied and no read
   * reaches the backend; requests that arrive meanwhile wait and are served afterwards.
   */
  defragment?: (hold: (swap: () => Promise<void>) => Promise<void>) => Promise<void>
}

/** The KV and maintenance part of the member's Core (see member-core.ts for the rest). */
export class EtcdServer implements CoreKv, Omit<CoreMaintenance, 'moveLeader'> {
  private node!: RaftNode
  /** Proposals waiting for their result, oldest (earliest deadline) first. */
  private readonly waiters = new Map<bigint, ProposalWaiter>()
  /** One timer for all proposals: it fires at the oldest one's deadline. */
  private sweeper: NodeJS.Timeout | undefined = undefined
  /** Proposals waiting for a leader. */
  private parked: { data: Uint8Array; id: bigint }[] = []
  private readonly idBase: bigint
  private idCounter = 0n
  private stopped = false
  private readBatch?: ReadBatch
  private readonly readsInFlight = new Map<string, ReadBatch>()
  /** member ID (8 bytes), random incarnation (8 bytes), then a counter (8 bytes). */
  private readonly readCtxBase: Buffer
  private readCounter = 0n
  /** Reads waiting for the applied index to reach theirs. */
  private appliedWaits: { index: number; resolve: () => void }[] = []
  private readonly leadershipListeners: ((leading: boolean) => void)[] = []
  private readonly quota: BackendQuota
  private confApplier?: (e: Entry, node: RaftNode) => void
  /** Set while the backend is being swapped (defragmentation): reads wait for it. */
  private held?: Promise<void>
  private defragging?: Promise<void>
  private auth?: AuthGate

  constructor(
    private readonly sm: StateMachine,
    private readonly id: ServerIdentity,
    private readonly o: EtcdServerOptions,
  ) {
    // Request IDs: 16 bits from the member ID, the rest from a random start, as unique as etcd's.
    this.idBase = ((id.memberId & 0xffffn) << 48n) | (BigInt(randomBytes(6).readUIntBE(0, 6)) & 0xffffff000000n)
    this.readCtxBase = Buffer.alloc(24)
    this.readCtxBase.writeBigUInt64BE(id.memberId, 0)
    randomBytes(8).copy(this.readCtxBase, 8)
    this.quota = new BackendQuota(o.quotaBackendBytes ?? 0, () => sm.dbSize())
  }

  attach(node: RaftNode): void {
    this.node = node
  }

  /** Checks every call against the auth store from now on. */
  setAuth(gate: AuthGate): void {
    this.auth = gate
  }

  /** Who applies committed conf changes (the member store); without one they only reach raft. */
  setConfApplier(apply: (e: Entry, node: RaftNode) => void): void {
    this.confApplier = apply
  }

  header(): ResponseHeaderInit {
    return {
      cluster_id: this.id.clusterId,
      member_id: this.id.memberId,
      revision: this.sm.revision,
      raft_term: BigInt(this.node.currentTerm),
    }
  }

  // ---- writes ----

  private nextId(): bigint {
    this.idCounter++
    return BigInt.asUintN(64, this.idBase + this.idCounter)
  }

  /** Proposals that failed: timed out, dropped, refused by raft, or given up by their caller. */
  proposalsFailed = 0

  /** Proposals waiting for their result. */
  get pendingProposals(): number {
    return this.waiters.size
  }

  /**
   * Proposes `req`; resolves with its applied response, or fails with its error. When the
   * call aborts first, it fails with the reason: a proposal still waiting for a leader is
   * dropped (never proposed), one already proposed is applied all the same, its result unread
   * (as etcd's).
   */
  private propose(req: InternalRequest, ctx?: CallContext): Promise<unknown> {
    if (this.stopped) return Promise.reject(Errors.Stopped)
    const aborted = abortReasonOf(ctx)
    if (aborted !== undefined) return Promise.reject(aborted)
    if (!this.quota.available(req)) {
      this.raiseNoSpace()
      return Promise.reject(Errors.NoSpace)
    }
    const id = this.nextId()
    const data = encodeInternalRequest({ ...req, ID: id })
    return new Promise<unknown>((resolve, reject) => {
      const w = new ProposalWaiter(id, resolve, reject, performance.now() + this.o.requestTimeoutMs, this.dropProposal)
      this.waiters.set(id, w)
      if (this.sweeper === undefined) this.armSweeper()
      w.watch(ctx)
      if (this.node.leader === 0n) this.parked.push({ data, id })
      else this.submit(data, id)
    })
  }

  /** Every proposal has the same timeout: insertion order is deadline order. */
  private armSweeper(): void {
    for (const w of this.waiters.values()) {
      this.sweeper = setTimeout(() => this.sweep(), Math.max(1, Math.ceil(w.deadline - performance.now())))
      return
    }
  }

  /** Fails the proposals whose deadline has passed. */
  private sweep(): void {
    this.sweeper = undefined
    const now = performance.now()
    for (const [id, w] of this.waiters) {
      if (w.deadline > now) break
      this.proposalsFailed++
      this.waiters.delete(id)
      w.reject(this.node.leader === 0n ? Errors.TimeoutDueToLeaderFail : Errors.Timeout)
    }
    if (this.waiters.size > 0) this.armSweeper()
  }

  /**
   * A request this member's quota refused raises NOSPACE for this member through raft, as
   * etcd's quotaAlarmer does (once: not again while it is raised).
   */
  private raiseNoSpace(): void {
    const raised = this.o.alarms?.() ?? []
    if (raised.some((m) => m.alarm === AlarmType.NOSPACE && m.memberID === this.id.memberId)) return
    const req: AlarmRequest = {
      action: AlarmRequest_AlarmAction.ACTIVATE,
      memberID: this.id.memberId,
      alarm: AlarmType.NOSPACE,
    }
    this.propose({ ID: 0n, alarm: req }).catch(() => undefined)
  }

  private submit(data: Uint8Array, id: bigint): void {
    try {
      this.node.propose(data)
    } catch (err) {
      this.fail(id, err as Error)
    }
  }

  /**
   * Proposals raft refused as a batch: dropped ones (no leader, a leader transfer) wait for
   * the next leader, as proposals made without one do; any other refusal fails them.
   */
  proposalsDropped(datas: Uint8Array[], err: Error): void {
    for (const data of datas) {
      const id = decodeInternalRequest(data).ID
      if (!this.waiters.has(id)) continue
      if (err instanceof ErrProposalDropped) this.parked.push({ data, id })
      else this.fail(id, err)
    }
  }

  /** A proposal whose caller gave up: never proposed if still parked, its result unread. */
  private readonly dropProposal = (id: bigint, reason: Error): void => {
    if (this.parked.length > 0) this.parked = this.parked.filter((p) => p.id !== id)
    this.fail(id, reason)
  }

  private fail(id: bigint, err: Error): void {
    const w = this.waiters.get(id)
    if (!w) return
    this.proposalsFailed++
    this.waiters.delete(id)
    w.reject(err)
  }

  private write<T>(req: InternalRequest, ctx?: CallContext): Promise<T> {
    const header = this.auth?.header(ctx)
    if (header instanceof Promise) return header.then((h) => this.propose({ ...req, header: h }, ctx)) as Promise<T>
    return this.propose(header === undefined ? req : { ...req, header }, ctx) as Promise<T>
  }

  put(req: PutRequest, ctx?: CallContext): Promise<PutResponseInit> {
    return this.write({ ID: 0n, put: req }, ctx)
  }

  deleteRange(req: DeleteRangeRequest, ctx?: CallContext): Promise<DeleteRangeResponseInit> {
    return this.write({ ID: 0n, delete_range: req }, ctx)
  }

  /**
   * A txn that only reads is served as a read (no raft entry): linearizable unless every
   * range in it is serializable, as etcd's Txn. Any write goes through raft.
   */
  txn(req: TxnRequest, ctx?: CallContext): Promise<TxnResponseInit> {
    if (!isTxnReadOnly(req)) return this.write({ ID: 0n, txn: req }, ctx)
    return this.readOnlyTxn(req, ctx)
  }

  private async readOnlyTxn(req: TxnRequest, ctx?: CallContext): Promise<TxnResponseInit> {
    if (this.stopped) throw Errors.Stopped
    if (!isTxnSerializable(req)) await this.linearizable(ctx)
    const auth = this.auth
    const ai = auth && (await auth.beforeRead(ctx, (ai) => auth.checkTxn(ai, req)))
    if (this.held) await this.held
    const res = this.sm.readOnlyTxn(req)
    auth?.afterRead(ai)
    return res
  }

  compact(req: CompactionRequest, ctx?: CallContext): Promise<CompactionResponseInit> {
    return this.write({ ID: 0n, compaction: req }, ctx)
  }

  /** Maintenance.Alarm: every action goes through raft, as etcd's (GET included). */
  alarm(req: AlarmRequest, ctx?: CallContext): Promise<AlarmResponseInit> {
    return this.write({ ID: 0n, alarm: req }, ctx)
  }

  /**
   * Maintenance.Defragment: rewrites the backend into a fresh database; one at a time (a
   * call while one runs waits for it and returns with it).
   */
  async defragment(ctx?: CallContext): Promise<DefragmentResponseInit> {
    if (this.stopped) throw Errors.Stopped
    await this.auth?.maintenanceAdmin(ctx)
    const run = this.o.defragment
    if (run === undefined) return {}
    this.defragging ??= run((swap) => this.hold(swap)).finally(() => (this.defragging = undefined))
    await this.defragging
    return {}
  }

  /** Runs `swap` with the raft loop between turns and reads held until it is done. */
  private async hold(swap: () => Promise<void>): Promise<void> {
    let release!: () => void
    this.held = new Promise<void>((r) => (release = r))
    try {
      await this.node.exclusive(swap)
    } finally {
      this.held = undefined
      release()
    }
  }

  /** Proposes another module's request (leases, auth) and resolves with its applied result. */
  proposeRequest<T>(req: InternalRequest, ctx?: CallContext): Promise<T> {
    return this.write(req, ctx)
  }

  get memberId(): bigint {
    return this.id.memberId
  }

  /** The current leader's ID (0n when there is none). */
  get leaderId(): bigint {
    return this.node.leader
  }

  /**
   * Told `true` when this member, as leader, has applied the first entry of its term (all
   * earlier entries are applied), and `false` when it stops being leader.
   */
  onLeadership(listener: (leading: boolean) => void): void {
    this.leadershipListeners.push(listener)
  }

  // ---- applying committed entries (called by the raft loop) ----

  applyEntries(entries: Entry[], node: RaftNode): void {
    let run: InternalRequest[] = []
    let runIndices: number[] = []
    let runEnd = 0
    let leading = false
    const flush = () => {
      if (run.length === 0) {
        if (runEnd > this.sm.appliedIndex) this.sm.markApplied(runEnd)
        return
      }
      const started = process.hrtime.bigint()
      const results = this.sm.applyBatch(run, runEnd, runIndices)
      warnIfSlow(this.o.logger, process.hrtime.bigint() - started, this.o.warningApplyDurationMs ?? 100, run.length)
      for (let i = 0; i < run.length; i++) {
        const w = this.waiters.get(run[i].ID)
        if (!w) continue
        this.waiters.delete(run[i].ID)
        w.applied(results[i])
      }
      run = []
      runIndices = []
    }
    for (const e of entries) {
      if (e.type === 'confChange') {
        flush()
        if (this.confApplier) this.confApplier(e, node)
        else node.applyConfChange(e.data)
        continue
      }
      runEnd = e.index
      if (
        e.data.length === 0 &&
        e.index > this.sm.appliedIndex &&
        e.term === node.currentTerm &&
        node.leader === this.id.memberId
      )
        leading = true
      // Entries already in the backend (replayed after a restart or a snapshot) are skipped.
      if (e.index <= this.sm.appliedIndex || e.data.length === 0) continue
      run.push(decodeInternalRequest(e.data))
      runIndices.push(e.index)
    }
    flush()
    if (entries.length > 0) this.releaseAppliedWaits(entries[entries.length - 1].index)
    if (leading) for (const l of this.leadershipListeners) l(true)
  }

  softState(s: SoftState): void {
    if (s.lead !== 0n && this.parked.length > 0) {
      const parked = this.parked
      this.parked = []
      for (const p of parked) if (this.waiters.has(p.id)) this.submit(p.data, p.id)
    }
    if (s.role !== 'leader') for (const l of this.leadershipListeners) l(false)
    if (s.lead === 0n || s.role !== 'leader') {
      // Reads waiting on a leadership confirmation may never get it from a former leader.
      for (const b of this.readsInFlight.values()) this.failRead(b, Errors.LeaderChanged)
      this.readsInFlight.clear()
    }
  }

  // ---- reads ----

  range(req: RangeRequest, ctx?: CallContext): Promise<RangeResultInit> {
    if (this.stopped) return Promise.reject(Errors.Stopped)
    if (req.serializable) return this.serveRange(req, ctx)
    return this.linearizable(ctx).then(() => this.serveRange(req, ctx))
  }

  /** Serves a range at once when there is nothing to check or wait for (no promise step of its own). */
  private serveRange(req: RangeRequest, ctx?: CallContext): Promise<RangeResultInit> {
    const auth = this.auth
    if (this.held === undefined && (auth === undefined || auth.mayRead(ctx))) return this.sm.range(req)
    return this.serveRangeChecked(req, ctx)
  }

  private async serveRangeChecked(req: RangeRequest, ctx?: CallContext): Promise<RangeResultInit> {
    const auth = this.auth
    const ai = auth && (await auth.beforeRead(ctx, (ai) => auth.checkRange(ai, req.key, req.range_end)))
    if (this.held) await this.held
    const res = await this.sm.range(req)
    auth?.afterRead(ai)
    return res
  }

  /** etcd's LinearizableReadNotify: resolves once this member has applied everything committed before the call. */
  linearizableReadNotify(ctx?: CallContext): Promise<void> {
    if (this.stopped) return Promise.reject(Errors.Stopped)
    return this.linearizable(ctx)
  }

  /**
   * Resolves once this member has applied everything committed before the call. When the
   * call aborts first, the read leaves its batch and fails with the reason; a batch all of
   * whose reads left is not sent.
   */
  private linearizable(ctx?: CallContext): Promise<void> {
    const aborted = abortReasonOf(ctx)
    if (aborted !== undefined) return Promise.reject(aborted)
    return new Promise<void>((resolve, reject) => {
      if (!this.readBatch) {
        const batch: ReadBatch = { ctx: Buffer.from(this.readCtxBase), waiters: [] }
        batch.ctx.writeBigUInt64BE(++this.readCounter, 16)
        this.readBatch = batch
        setImmediate(() => this.sendRead(batch))
      }
      const batch = this.readBatch
      const w = new ReadWaiter(resolve, reject, batch)
      w.watch(ctx)
      batch.waiters.push(w)
    })
  }

  private sendRead(batch: ReadBatch): void {
    if (this.readBatch === batch) this.readBatch = undefined
    if (batch.waiters.length === 0) return // every read in it was cancelled
    const key = batch.ctx.toString('hex')
    this.readsInFlight.set(key, batch)
    batch.timer = setTimeout(() => {
      this.readsInFlight.delete(key)
      this.failRead(batch, this.node.leader === 0n ? Errors.NoLeader : Errors.Timeout)
    }, this.o.requestTimeoutMs)
    if (this.node.leader === 0n) {
      // No leader to confirm against: fail fast, as etcd's linearizable reads do without one.
      this.readsInFlight.delete(key)
      this.failRead(batch, Errors.NoLeader)
      return
    }
    try {
      this.node.readIndex(batch.ctx)
    } catch (err) {
      this.readsInFlight.delete(key)
      this.failRead(batch, err instanceof ErrProposalDropped ? Errors.NoLeader : (err as Error))
    }
  }

  private failRead(batch: ReadBatch, err: Error): void {
    if (batch.timer) clearTimeout(batch.timer)
    for (const w of batch.waiters) w.reject(err)
    batch.waiters = []
  }

  readStates(states: ReadState[]): void {
    for (const rs of states) {
      const key = Buffer.from(rs.requestCtx).toString('hex')
      const batch = this.readsInFlight.get(key)
      if (!batch) continue
      this.readsInFlight.delete(key)
      if (batch.timer) clearTimeout(batch.timer)
      const done = () => {
        for (const w of batch.waiters) w.resolve()
      }
      if (this.node.applied >= rs.index) done()
      else this.appliedWaits.push({ index: rs.index, resolve: done })
    }
  }

  private releaseAppliedWaits(applied: number): void {
    if (this.appliedWaits.length === 0) return
    const still: typeof this.appliedWaits = []
    for (const w of this.appliedWaits) {
      if (w.index <= applied) w.resolve()
      else still.push(w)
    }
    this.appliedWaits = still
  }

  /** Maintenance.HashKV: the key space's hash at a revision, with the header of that moment. */
  async hashKV(req: HashKVRequest, ctx?: CallContext): Promise<HashKVResponseInit> {
    await this.auth?.maintenanceAdmin(ctx)
    if (this.held) await this.held
    const header = this.header()
    const h = await this.sm.hashKV(req.revision)
    return { header, hash: h.hash, compact_revision: h.compactRevision }
  }

  /** Maintenance.Hash: the whole backend's hash; the header's revision is the one hashed. */
  async hash(): Promise<HashResponseInit> {
    const h = await this.sm.hash()
    return { header: { ...this.header(), revision: h.revision }, hash: h.hash }
  }

  async status(): Promise<StatusResponseInit> {
    return {
      version: ETCD_VERSION,
      dbSize: this.sm.dbSize(),
      dbSizeInUse: this.sm.dbSizeInUse(),
      leader: this.node.leader,
      raftIndex: BigInt(this.node.lastIndex),
      raftTerm: BigInt(this.node.currentTerm),
      raftAppliedIndex: BigInt(this.node.applied),
      errors: (this.o.alarms?.() ?? []).map(alarmString),
      isLearner: false,
    }
  }

  /** Stops taking requests; pending ones fail with "server stopped". */
  async stop(): Promise<void> {
    this.stopped = true
    for (const [id] of this.waiters) this.fail(id, Errors.Stopped)
    if (this.sweeper !== undefined) clearTimeout(this.sweeper)
    this.sweeper = undefined
    for (const b of this.readsInFlight.values()) this.failRead(b, Errors.Stopped)
    if (this.readBatch) this.failRead(this.readBatch, Errors.Stopped)
  }
}

/** etcd's warning for an apply that took longer than --experimental-warning-apply-duration. */
function warnIfSlow(log: Logger, tookNs: bigint, expectedMs: number, requests: number): void {
  const expectedNs = BigInt(Math.round(expectedMs * 1e6))
  if (tookNs <= expectedNs) return
  log.warn('apply request took too long', {
    took: formatDuration(tookNs),
    'expected-duration': formatDuration(expectedNs),
    prefix: '',
    requests,
  })
}
