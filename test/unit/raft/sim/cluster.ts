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
} from '../../../../src/raft/index.js';
import { Checker, entryKey } from './checker.js';
import { Network, RELIABLE, type Faults } from './network.js';
import { Rng } from './rng.js';

export interface ClusterOptions {
  seed: number;
  /** Initial voters are 1..voters. */
  voters: number;
  electionTick?: number;
  heartbeatTick?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  maxSizePerMsg?: number;
  maxInflightMsgs?: number;
  faults?: Faults;
  /** Take a snapshot and compact every this many applied entries (0 = never). */
  snapshotEvery?: number;
  /** Entries kept behind a compaction. */
  keepAfterCompact?: number;
}

export class SimMember {
  rn: RawNode | undefined;
  readonly storage = new MemoryStorage();
  /** Applied entry keys; index 0 unused. */
  sm: string[] = [''];
  confState: ConfState = { voters: [], learners: [] };
  readonly reads: Array<{ index: number; ctx: string }> = [];
  /** Snapshots received from a leader and restored. */
  snapshotsRestored = 0;

  constructor(readonly id: NodeId) {}

  get up(): boolean {
    return this.rn !== undefined;
  }

  get applied(): number {
    return this.sm.length - 1;
  }
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

export class Cluster {
  readonly rng: Rng;
  readonly net: Network;
  readonly check = new Checker();
  readonly members = new Map<NodeId, SimMember>();
  now = 0;
  private readonly opts: Required<Omit<ClusterOptions, 'faults'>>;
  /** ReadIndex requests in flight: ctx -> applied index anywhere when issued. */
  private readonly readsIssued = new Map<string, number>();
  private nextRead = 1;
  /** Every payload proposed, for liveness checks. */
  readonly proposed: string[] = [];
  private nextProposal = 1;

  constructor(opts: ClusterOptions) {
    this.opts = {
      electionTick: 10,
      heartbeatTick: 1,
      preVote: true,
      checkQuorum: true,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 256,
      snapshotEvery: 0,
      keepAfterCompact: 5,
      ...opts,
    };
    this.rng = new Rng(opts.seed);
    this.net = new Network(this.rng.fork(), opts.faults ?? RELIABLE);
    const ids = Array.from({ length: opts.voters }, (_, i) => BigInt(i + 1));
    const boot = bootstrapLog(ids);
    for (const id of ids) {
      const m = new SimMember(id);
      m.storage.append(boot.entries);
      m.storage.setHardState(boot.hardState);
      this.members.set(id, m);
      this.start(m);
    }
  }

  get ids(): NodeId[] {
    return [...this.members.keys()];
  }

  member(id: NodeId): SimMember {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  node(id: NodeId): RawNode {
    const rn = this.member(id).rn;
    if (!rn) throw new Error(`member ${id} is down`);
    return rn;
  }

  upMembers(): SimMember[] {
    return [...this.members.values()].filter((m) => m.up);
  }

  private start(m: SimMember): void {
    const snap = m.storage.snapshot();
    m.sm = snap.metadata.index > 0 ? decodeState(snap.data) : [''];
    m.confState = structuredClone(snap.metadata.confState);
    m.rn = new RawNode({
      id: m.id,
      storage: m.storage,
      electionTick: this.opts.electionTick,
      heartbeatTick: this.opts.heartbeatTick,
      preVote: this.opts.preVote,
      checkQuorum: this.opts.checkQuorum,
      maxSizePerMsg: this.opts.maxSizePerMsg,
      maxInflightMsgs: this.opts.maxInflightMsgs,
      applied: snap.metadata.index,
      random: randomFrom(this.rng.fork()),
    });
    this.observe(m);
  }

  /** Adds a member with an empty log (to be added by a conf change). */
  addMember(id: NodeId): SimMember {
    if (this.members.has(id)) throw new Error(`member ${id} exists`);
    const m = new SimMember(id);
    this.members.set(id, m);
    this.start(m);
    return m;
  }

  // ------------------------------------------------------------ faults

  crash(id: NodeId): void {
    const m = this.member(id);
    if (!m.rn) return;
    m.rn = undefined;
    // The transport to the crashed member fails: a snapshot in transit is lost.
    for (const other of this.upMembers()) other.rn!.reportSnapshot(id, 'failure');
  }

  restart(id: NodeId): void {
    const m = this.member(id);
    if (m.rn) return;
    this.start(m);
    this.checkLogs(true);
  }

  // ------------------------------------------------------------ inputs

  tick(id: NodeId): void {
    const m = this.member(id);
    m.rn?.tick();
    if (m.up) this.observe(m);
  }

  tickAll(): void {
    this.now++;
    for (const m of this.upMembers()) this.tick(m.id);
  }

  /** Proposes a fresh payload on `id`; returns it, or undefined if dropped. */
  propose(id: NodeId, payload?: string): string | undefined {
    const data = payload ?? `p${this.nextProposal++}`;
    try {
      this.node(id).propose(utf8.encode(data));
    } catch (e) {
      if (e instanceof ErrProposalDropped) return undefined;
      throw e;
    }
    this.proposed.push(data);
    this.observe(this.member(id));
    return data;
  }

  proposeConfChange(id: NodeId, cc: ConfChange): boolean {
    try {
      this.node(id).proposeConfChange(cc);
    } catch (e) {
      if (e instanceof ErrProposalDropped) return false;
      throw e;
    }
    this.observe(this.member(id));
    return true;
  }

  /** Issues a ReadIndex on `id`; returns its context, or undefined if dropped. */
  readIndex(id: NodeId): string | undefined {
    const ctx = `r${this.nextRead++}`;
    try {
      this.node(id).readIndex(utf8.encode(ctx));
    } catch (e) {
      if (e instanceof ErrProposalDropped) return undefined;
      throw e;
    }
    this.readsIssued.set(ctx, this.maxApplied());
    return ctx;
  }

  maxApplied(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.applied);
    return max;
  }

  campaign(id: NodeId): void {
    this.node(id).campaign();
    this.observe(this.member(id));
  }

  // ---------------------------------------------------------- delivery

  /** Delivers one message now; false if it could not reach its target. */
  deliver(msg: Message): boolean {
    const to = this.members.get(msg.to);
    if (!to?.rn || !this.net.connected(this.net.senderOf(msg), msg.to)) {
      if (msg.type === 'MsgSnap') this.members.get(msg.from)?.rn?.reportSnapshot(msg.to, 'failure');
      return false;
    }
    to.rn.step(msg);
    this.observe(to);
    // Snapshots are streamed: the sender learns that this one arrived.
    if (msg.type === 'MsgSnap') this.members.get(msg.from)?.rn?.reportSnapshot(msg.to, 'success');
    return true;
  }

  /** Delivers one random message that is due; false if none was. */
  deliverRandom(ignoreDelay = false): boolean {
    const msg = this.net.takeRandom(this.now, ignoreDelay);
    if (!msg) return false;
    this.deliver(msg);
    return true;
  }

  private send(sender: NodeId, msgs: Message[]): void {
    for (const msg of msgs) {
      // Like a real transport, report a snapshot lost on the way.
      if (!this.net.send(msg, this.now, sender) && msg.type === 'MsgSnap') this.members.get(msg.from)?.rn?.reportSnapshot(msg.to, 'failure');
    }
  }

  /**
   * Handles one Ready of `id` as a server would. With `crashBeforePersist`,
   * the member sends what may go out early and crashes before its disk write.
   */
  processReady(id: NodeId, crashBeforePersist = false): boolean {
    const m = this.member(id);
    const rn = m.rn;
    if (!rn?.hasReady()) return false;
    const rd = rn.ready();
    this.send(id, rd.messages);
    if (crashBeforePersist) {
      this.crash(id);
      return true;
    }
    this.persist(m, rd);
    this.send(id, rd.messagesAfterPersist);
    this.apply(m, rd);
    rn.advance();
    this.observe(m);
    this.maybeCompact(m);
    return true;
  }

  private persist(m: SimMember, rd: Ready): void {
    if (rd.snapshot) m.storage.applySnapshot(rd.snapshot);
    m.storage.append(rd.entries);
    if (rd.hardState) m.storage.setHardState(rd.hardState);
  }

  private apply(m: SimMember, rd: Ready): void {
    const rn = m.rn!;
    if (rd.snapshot) this.restoreState(m, rd.snapshot);
    const leaders = this.leaders();
    for (const e of rd.committedEntries) {
      if (e.index <= m.applied) continue; // covered by a snapshot restored meanwhile
      if (e.index !== m.applied + 1) this.check.fail(`${m.id} applies ${e.index} after ${m.applied}`);
      this.check.observeApply(m.id, e, rn.raft.term, leaders);
      m.sm.push(entryKey(e));
      if (e.type === 'confChange') m.confState = rn.applyConfChange(decodeConfChange(e.data));
    }
    for (const rs of rd.readStates) {
      const ctx = text.decode(rs.requestCtx);
      const issuedAt = this.readsIssued.get(ctx);
      if (issuedAt === undefined) return this.check.fail(`${m.id} got a ReadState for unknown ctx ${ctx}`);
      this.check.observeRead(m.id, rs.index, issuedAt);
      m.reads.push({ index: rs.index, ctx });
    }
  }

  private restoreState(m: SimMember, snap: Snapshot): void {
    const keys = decodeState(snap.data);
    this.check.observeRestore(m.id, keys);
    m.sm = keys;
    m.snapshotsRestored++;
    m.confState = structuredClone(snap.metadata.confState);
  }

  private maybeCompact(m: SimMember): void {
    const every = this.opts.snapshotEvery;
    if (every <= 0) return;
    const snapIndex = m.storage.snapshot().metadata.index;
    if (m.applied - snapIndex < every) return;
    m.storage.createSnapshot(m.applied, m.confState, encodeState(m.sm));
    const compactTo = m.applied - this.opts.keepAfterCompact;
    if (compactTo > m.storage.firstIndex()) m.storage.compact(compactTo);
  }

  // ------------------------------------------------------- observation

  leaders(): Array<[NodeId, RawNode]> {
    const out: Array<[NodeId, RawNode]> = [];
    for (const m of this.members.values()) if (m.rn?.raft.role === 'leader') out.push([m.id, m.rn]);
    return out;
  }

  private observe(m: SimMember): void {
    if (!m.rn) return;
    this.check.observeRole(m.id, m.rn);
    this.check.observeLog(m.id, m.rn);
  }

  /** Re-checks log matching over every live member's whole log. */
  checkLogs(full = false): void {
    for (const m of this.upMembers()) this.check.observeLog(m.id, m.rn!, full);
  }

  /** The leader with the highest term among live members, if any. */
  leader(): NodeId | undefined {
    let best: [NodeId, number] | undefined;
    for (const [id, rn] of this.leaders()) if (!best || rn.raft.term > best[1]) best = [id, rn.raft.term];
    return best?.[0];
  }

  // ------------------------------------------------------ convenience

  /**
   * Processes every Ready and delivers every message (ignoring delays) until
   * quiet. Messages matching `drop` are lost; all delivered ones are passed to `seen`.
   */
  stabilize(opts: { drop?: (m: Message) => boolean; seen?: (m: Message) => void } = {}, maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let busy = false;
      for (const m of this.upMembers()) while (this.processReady(m.id)) busy = true;
      for (const msg of this.net.takeAll()) {
        busy = true;
        if (opts.drop?.(msg)) {
          if (msg.type === 'MsgSnap') this.members.get(msg.from)?.rn?.reportSnapshot(msg.to, 'failure');
          continue;
        }
        if (this.deliver(msg)) opts.seen?.(msg);
      }
      if (!busy) return;
    }
    throw new Error('cluster did not stabilize');
  }

  /** Ticks every live member `n` times, stabilizing after each tick. */
  tickAndStabilize(n: number): void {
    for (let i = 0; i < n; i++) {
      this.tickAll();
      this.stabilize();
    }
  }

  /** Ticks one member until it has been silent for two election timeouts (so it campaigns). */
  tickElection(id: NodeId): void {
    for (let i = 0; i < 2 * this.opts.electionTick; i++) this.tick(id);
  }

  isolate(id: NodeId): void {
    this.net.isolate(id, this.ids);
  }

  heal(): void {
    this.net.heal();
  }

  /** Ticks and stabilizes until a leader exists that all live voters follow; returns it. */
  waitForLeader(maxTicks = 500): NodeId {
    for (let i = 0; i < maxTicks; i++) {
      const l = this.leader();
      if (l !== undefined && this.upMembers().every((m) => m.rn!.raft.lead === l || !m.rn!.raft.promotable())) return l;
      this.tickAll();
      this.stabilize();
    }
    throw new Error(`no leader after ${maxTicks} ticks`);
  }

  applied(id: NodeId): string[] {
    return this.member(id).sm.slice(1);
  }

  /** Payloads of normal entries applied by `id`, in order. */
  appliedPayloads(id: NodeId): string[] {
    return this.member(id)
      .sm.slice(1)
      .map((k) => k.split('/'))
      .filter(([, type, hex]) => type === 'normal' && hex !== '')
      .map(([, , hex]) => Buffer.from(hex!, 'hex').toString('utf8'));
  }
}

function randomFrom(rng: Rng): () => number {
  return () => rng.next();
}

function encodeState(sm: readonly string[]): Uint8Array {
  return utf8.encode(JSON.stringify(sm));
}

function decodeState(data: Uint8Array): string[] {
  return JSON.parse(text.decode(data)) as string[];
}
