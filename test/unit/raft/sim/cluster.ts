/**
 * N Raft members in one process, on a simulated network, driven step by
 * step. Each member persists to its own MemoryStorage; a crash keeps only
 * that storage (unstable entries, unsent messages and the state machine are
 * lost) and a restart rebuilds the member from it. The state machine is the
 * list of applied entry keys; its snapshots carry that list.
 */
import {
  bootstrapLog,
  decodeConfChange,
  ErrProposalDropped,
  MemoryStorage,
  RawNode,
  type ConfChange,
  type ConfState,
  type Message,
  type NodeId,
  type Ready,
  type Snapshot,
} from '../../../../src/raft/index.js'
import { Checker, entryKey } from './checker.js'
import { Network, RELIABLE, type Faults } from './network.js'
import { Rng } from '../../../helpers/rng.js'

export interface ClusterOptions {
  seed: number
  /** Initial voters are 1..voters. */
  voters: number
  electionTick?: number
  heartbeatTick?: number
  preVote?: boolean
  checkQuorum?: boolean
  maxSizePerMsg?: number
  maxInflightMsgs?: number
  /** 0 = unlimited. */
  maxInflightBytes?: number
  /** 0 = unlimited. */
  maxCommittedSizePerReady?: number
  /** Probability that a message lost to a partition or a down member is reported unreachable to its sender. */
  reportUnreachable?: number
  faults?: Faults
  /** Take a snapshot and compact every this many applied entries (0 = never). */
  snapshotEvery?: number
  /** Entries kept behind a compaction. */
  keepAfterCompact?: number
}

export class SimMember {
  rn: RawNode | undefined
  readonly storage = new MemoryStorage()
  /** Applied entry keys; index 0 unused. */
  sm: string[] = ['']
  confState: ConfState = { voters: [], learners: [] }
  readonly reads: Array<{ index: number; ctx: string }> = []
  /** Snapshots received from a leader and restored. */
  snapshotsRestored = 0
  /**
   * A Ready taken but not yet persisted and advanced (the disk write is in
   * flight): the member keeps receiving messages, ticks and proposals meanwhile.
   */
  pending: Ready | undefined

  constructor(readonly id: NodeId) {}

  get up(): boolean {
    return this.rn !== undefined
  }

  get applied(): number {
    return this.sm.length - 1
  }
}

const utf8 = new TextEncoder()
const text = new TextDecoder()

export class Cluster {
  readonly rng: Rng
  readonly net: Network
  readonly check = new Checker()
  readonly members = new Map<NodeId, SimMember>()
  now = 0
  private readonly opts: Required<Omit<ClusterOptions, 'faults'>>
  /** ReadIndex requests in flight: ctx -> who asked, and the highest commit index anywhere when it was issued. */
  private readonly readsIssued = new Map<string, { by: NodeId; committed: number }>()
  private nextRead = 1
  /** Every payload proposed, for liveness checks. */
  readonly proposed: string[] = []
  private nextProposal = 1

  constructor(opts: ClusterOptions) {
    this.opts = {
      electionTick: 10,
      heartbeatTick: 1,
      preVote: true,
      checkQuorum: true,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 256,
      maxInflightBytes: 0,
      maxCommittedSizePerReady: 0,
      reportUnreachable: 0,
      snapshotEvery: 0,
      keepAfterCompact: 5,
      ...opts,
    }
    this.rng = new Rng(opts.seed)
    this.net = new Network(this.rng.fork(), opts.faults ?? RELIABLE)
    const ids = Array.from({ length: opts.voters }, (_, i) => BigInt(i + 1))
    const boot = bootstrapLog(ids)
    for (const id of ids) {
      const m = new SimMember(id)
      m.storage.append(boot.entries)
      m.storage.setHardState(boot.hardState)
      this.members.set(id, m)
      this.start(m)
    }
  }

  get ids(): NodeId[] {
    return [...this.members.keys()]
  }

  member(id: NodeId): SimMember {
    const m = this.members.get(id)
    if (!m) throw new Error(`no member ${id}`)
    return m
  }

  node(id: NodeId): RawNode {
    const rn = this.member(id).rn
    if (!rn) throw new Error(`member ${id} is down`)
    return rn
  }

  upMembers(): SimMember[] {
    return [...this.members.values()].filter((m) => m.up)
  }

  private start(m: SimMember): void {
    const snap = m.storage.snapshot()
    m.sm = snap.metadata.index > 0 ? decodeState(snap.data) : ['']
    m.confState = structuredClone(snap.metadata.confState)
    m.rn = new RawNode({
      id: m.id,
      storage: m.storage,
      electionTick: this.opts.electionTick,
      heartbeatTick: this.opts.heartbeatTick,
      preVote: this.opts.preVote,
      checkQuorum: this.opts.checkQuorum,
      maxSizePerMsg: this.opts.maxSizePerMsg,
      maxInflightMsgs: this.opts.maxInflightMsgs,
      maxInflightBytes: this.opts.maxInflightBytes || undefined,
      maxCommittedSizePerReady: this.opts.maxCommittedSizePerReady || undefined,
      applied: snap.metadata.index,
      random: randomFrom(this.rng.fork()),
    })
    this.observe(m)
  }

  /** Adds a member with an empty log (to be added by a conf change). */
  addMember(id: NodeId): SimMember {
    if (this.members.has(id)) throw new Error(`member ${id} exists`)
    const m = new SimMember(id)
    this.members.set(id, m)
    this.start(m)
    return m
  }

  // ------------------------------------------------------------ faults

  crash(id: NodeId): void {
    const m = this.member(id)
    if (!m.rn) return
    m.rn = undefined
    m.pending = undefined // the disk write in flight is lost
    // The transport to the crashed member fails: a snapshot in transit is lost.
    for (const other of this.upMembers()) other.rn!.reportSnapshot(id, 'failure')
  }

  restart(id: NodeId): void {
    const m = this.member(id)
    if (m.rn) return
    this.start(m)
    this.checkLogs(true)
  }

  // ------------------------------------------------------------ inputs

  tick(id: NodeId): void {
    const m = this.member(id)
    m.rn?.tick()
    if (m.up) this.observe(m)
  }

  tickAll(): void {
    this.now++
    for (const m of this.upMembers()) this.tick(m.id)
  }

  /** Proposes a fresh payload on `id`; returns it, or undefined if dropped. */
  propose(id: NodeId, payload?: string): string | undefined {
    const data = payload ?? `p${this.nextProposal++}`
    try {
      this.node(id).propose(utf8.encode(data))
    } catch (e) {
      if (e instanceof ErrProposalDropped) return undefined
      throw e
    }
    this.proposed.push(data)
    this.observe(this.member(id))
    return data
  }

  proposeConfChange(id: NodeId, cc: ConfChange): boolean {
    try {
      this.node(id).proposeConfChange(cc)
    } catch (e) {
      if (e instanceof ErrProposalDropped) return false
      throw e
    }
    this.observe(this.member(id))
    return true
  }

  /** Issues a ReadIndex on `id`; returns its context, or undefined if dropped. */
  readIndex(id: NodeId): string | undefined {
    const ctx = `r${this.nextRead++}`
    try {
      this.node(id).readIndex(utf8.encode(ctx))
    } catch (e) {
      if (e instanceof ErrProposalDropped) return undefined
      throw e
    }
    this.readsIssued.set(ctx, { by: id, committed: this.check.maxCommitted })
    if (this.isDeposedLeader(id)) this.check.stats.deposedReads++
    return ctx
  }

  /**
   * Believes it leads, but another member leads in a higher term, or a
   * majority of its voters moved to a higher term: it can no longer commit.
   */
  isDeposedLeader(id: NodeId): boolean {
    const r = this.members.get(id)?.rn?.raft
    if (r === undefined || r.role !== 'leader') return false
    if (this.leaders().some(([, other]) => other.raft.term > r.term)) return true
    const voters = [...r.tracker.config.voters]
    const ahead = voters.filter((v) => this.termOf(v) > r.term).length
    return ahead > voters.length / 2
  }

  /** A member's term, in memory or on disk. */
  termOf(id: NodeId): number {
    const m = this.members.get(id)
    if (!m) return 0
    return m.rn?.raft.term ?? m.storage.initialState().hardState.term
  }

  campaign(id: NodeId): void {
    this.node(id).campaign()
    this.observe(this.member(id))
  }

  // ---------------------------------------------------------- delivery

  /** Delivers one message now; false if it could not reach its target. */
  deliver(msg: Message): boolean {
    const to = this.members.get(msg.to)
    const sender = this.net.senderOf(msg)
    if (!to?.rn || !this.net.connected(sender, msg.to)) {
      if (msg.type === 'MsgSnap') this.members.get(msg.from)?.rn?.reportSnapshot(msg.to, 'failure')
      // The transport noticed: the sender stops streaming to that member until it answers again.
      const p = this.opts.reportUnreachable
      if (p > 0 && this.rng.chance(p)) this.members.get(sender)?.rn?.reportUnreachable(msg.to)
      return false
    }
    to.rn.step(msg)
    this.observe(to)
    // Snapshots are streamed: the sender learns that this one arrived.
    if (msg.type === 'MsgSnap') this.members.get(msg.from)?.rn?.reportSnapshot(msg.to, 'success')
    return true
  }

  /** Delivers one random message that is due; false if none was. */
  deliverRandom(ignoreDelay = false): boolean {
    return this.deliverRandomTo(ignoreDelay) !== undefined
  }

  /** Delivers one random message that is due; returns its target, or undefined if none was due. */
  deliverRandomTo(ignoreDelay = false): NodeId | undefined {
    const msg = this.net.takeRandom(this.now, ignoreDelay)
    if (!msg) return undefined
    this.deliver(msg)
    return msg.to
  }

  private send(sender: NodeId, msgs: Message[]): void {
    for (const msg of msgs) {
      // Like a real transport, report a snapshot lost on the way.
      if (!this.net.send(msg, this.now, sender) && msg.type === 'MsgSnap')
        this.members.get(msg.from)?.rn?.reportSnapshot(msg.to, 'failure')
    }
  }

  /**
   * Handles one Ready of `id` as a server would, finishing the one in flight
   * if there is one. With `crashBeforePersist`, the member sends what may go
   * out early and crashes before its disk write.
   */
  processReady(id: NodeId, crashBeforePersist = false): boolean {
    const m = this.member(id)
    if (!m.pending && !this.beginReady(id)) return false
    if (crashBeforePersist) this.crash(id)
    else this.finishReady(id)
    return true
  }

  /**
   * Takes a Ready and sends its early messages; the disk write is now in
   * flight until finishReady(). False if there was nothing to do (or a Ready
   * is already in flight).
   */
  beginReady(id: NodeId): boolean {
    const m = this.member(id)
    const rn = m.rn
    if (!rn || m.pending || !rn.hasReady()) return false
    const rd = rn.ready()
    m.pending = rd
    this.send(id, rd.messages)
    return true
  }

  /** The disk write of the Ready in flight completes: persist, send, apply, advance. */
  finishReady(id: NodeId): boolean {
    const m = this.member(id)
    const rn = m.rn
    const rd = m.pending
    if (!rn || !rd) return false
    m.pending = undefined
    this.persist(m, rd)
    this.send(id, rd.messagesAfterPersist)
    this.apply(m, rd)
    rn.advance()
    this.observe(m)
    this.maybeCompact(m)
    return true
  }

  private persist(m: SimMember, rd: Ready): void {
    if (rd.snapshot) m.storage.applySnapshot(rd.snapshot)
    m.storage.append(rd.entries)
    if (rd.hardState) m.storage.setHardState(rd.hardState)
  }

  private apply(m: SimMember, rd: Ready): void {
    if (rd.snapshot) this.restoreState(m, rd.snapshot)
    for (const e of rd.committedEntries) {
      if (e.index <= m.applied) continue // covered by a snapshot restored meanwhile
      if (e.index !== m.applied + 1) this.check.fail(`${m.id} applies ${e.index} after ${m.applied}`)
      this.check.observeApply(m.id, e)
      m.sm.push(entryKey(e))
      if (e.type === 'confChange') this.applyConfChange(m, decodeConfChange(e.data))
    }
    for (const rs of rd.readStates) {
      const ctx = text.decode(rs.requestCtx)
      const issue = this.readsIssued.get(ctx)
      if (issue === undefined) return this.check.fail(`${m.id} got a ReadState for unknown ctx ${ctx}`)
      this.check.observeRead(m.id, rs.index, issue)
      if (this.isDeposedLeader(m.id)) this.check.stats.deposedReadsAnswered++
      m.reads.push({ index: rs.index, ctx })
    }
  }

  private applyConfChange(m: SimMember, cc: ConfChange): void {
    const rn = m.rn!
    const before = rn.status().config
    const isNew = ![...before.voters, ...before.learners].includes(cc.nodeId)
    m.confState = rn.applyConfChange(cc)
    // etcd's rule: a member new to the configuration counts as recently active (CheckQuorum grace).
    const pr = rn.status().progress?.get(cc.nodeId)
    if (isNew && pr && !pr.recentActive) this.check.fail(`leader ${m.id} added ${cc.nodeId} as not recently active`)
  }

  private restoreState(m: SimMember, snap: Snapshot): void {
    const keys = decodeState(snap.data)
    this.check.observeRestore(m.id, keys)
    m.sm = keys
    m.snapshotsRestored++
    m.confState = structuredClone(snap.metadata.confState)
  }

  private maybeCompact(m: SimMember): void {
    const every = this.opts.snapshotEvery
    if (every <= 0) return
    const snapIndex = m.storage.snapshot().metadata.index
    if (m.applied - snapIndex < every) return
    m.storage.createSnapshot(m.applied, m.confState, encodeState(m.sm))
    const compactTo = m.applied - this.opts.keepAfterCompact
    if (compactTo > m.storage.firstIndex()) m.storage.compact(compactTo)
  }

  // ------------------------------------------------------- observation

  leaders(): Array<[NodeId, RawNode]> {
    const out: Array<[NodeId, RawNode]> = []
    for (const m of this.members.values()) if (m.rn?.raft.role === 'leader') out.push([m.id, m.rn])
    return out
  }

  private observe(m: SimMember): void {
    if (!m.rn) return
    this.check.observeRole(m.id, m.rn)
    this.check.observeLog(m.id, m.rn)
    const leaders = this.leaders()
    this.check.observeCommit(m.id, m.rn, leaders)
    if (leaders.length > 1) this.check.stats.twoLeaders++
  }

  /** Re-checks log matching over every live member's whole log. */
  checkLogs(full = false): void {
    for (const m of this.upMembers()) this.check.observeLog(m.id, m.rn!, full)
  }

  /** The leader with the highest term among live members, if any. */
  leader(): NodeId | undefined {
    let best: [NodeId, number] | undefined
    for (const [id, rn] of this.leaders()) if (!best || rn.raft.term > best[1]) best = [id, rn.raft.term]
    return best?.[0]
  }

  // ------------------------------------------------------ convenience

  /**
   * Processes every Ready and delivers every message (ignoring delays) until
   * quiet. Messages matching `drop` are lost; all delivered ones are passed to `seen`.
   */
  stabilize(opts: { drop?: (m: Message) => boolean; seen?: (m: Message) => void } = {}, maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let busy = false
      for (const m of this.upMembers()) while (this.processReady(m.id)) busy = true
      for (const msg of this.net.takeAll()) {
        busy = true
        if (opts.drop?.(msg)) {
          if (msg.type === 'MsgSnap') this.members.get(msg.from)?.rn?.reportSnapshot(msg.to, 'failure')
          continue
        }
        if (this.deliver(msg)) opts.seen?.(msg)
      }
      if (!busy) return
    }
    throw new Error('cluster did not stabilize')
  }

  /** Ticks every live member `n` times, stabilizing after each tick. */
  tickAndStabilize(n: number): void {
    for (let i = 0; i < n; i++) {
      this.tickAll()
      this.stabilize()
    }
  }

  /** Ticks one member until it has been silent for two election timeouts (so it campaigns). */
  tickElection(id: NodeId): void {
    for (let i = 0; i < 2 * this.opts.electionTick; i++) this.tick(id)
  }

  isolate(id: NodeId): void {
    this.net.isolate(id, this.ids)
  }

  heal(): void {
    this.net.heal()
  }

  /** Ticks and stabilizes until a leader exists that all live voters follow; returns it. */
  waitForLeader(maxTicks = 500): NodeId {
    for (let i = 0; i < maxTicks; i++) {
      const l = this.leader()
      // A member removed from the configuration may never learn it: it does not count.
      const cfg = l === undefined ? undefined : this.node(l).status().config
      const inConfig = (id: NodeId) => cfg !== undefined && (cfg.voters.includes(id) || cfg.learners.includes(id))
      if (
        l !== undefined &&
        this.upMembers().every((m) => m.rn!.raft.lead === l || !m.rn!.raft.promotable() || !inConfig(m.id))
      )
        return l
      this.tickAll()
      this.stabilize()
    }
    throw new Error(`no leader after ${maxTicks} ticks`)
  }

  applied(id: NodeId): string[] {
    return this.member(id).sm.slice(1)
  }

  /** Payloads of normal entries applied by `id`, in order. */
  appliedPayloads(id: NodeId): string[] {
    return this.member(id)
      .sm.slice(1)
      .map((k) => k.split('/'))
      .filter(([, type, hex]) => type === 'normal' && hex !== '')
      .map(([, , hex]) => Buffer.from(hex!, 'hex').toString('utf8'))
  }
}

function randomFrom(rng: Rng): () => number {
  return () => rng.next()
}

function encodeState(sm: readonly string[]): Uint8Array {
  return utf8.encode(JSON.stringify(sm))
}

function decodeState(data: Uint8Array): string[] {
  return JSON.parse(text.decode(data)) as string[]
}
