/**
 * Random schedules over a simulated cluster: a seeded mix of ticks,
 * deliveries, Ready handling, proposals, reads, crashes (also in the middle
 * of a Ready), restarts, partitions, leader transfers and membership
 * changes, with every invariant checked after each step; then the network
 * heals and the cluster must elect a leader and commit again.
 */
import type { NodeId } from '../../../../src/raft/index.js';
import { Cluster } from './cluster.js';
import { RELIABLE, type Faults } from './network.js';
import { Rng } from './rng.js';

export interface ChaosOptions {
  seed: number;
  voters: number;
  steps: number;
  faults: Faults;
  crashes?: boolean;
  partitions?: boolean;
  confChanges?: boolean;
  transfers?: boolean;
  reads?: boolean;
  snapshotEvery?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  /** Election timeout in ticks (heartbeats every fifth of it); default 10. */
  electionTick?: number;
  /** Multiplies the weight of crashes, restarts and partitions (default 1). */
  turbulence?: number;
}

export interface ChaosResult {
  cluster: Cluster;
  leadersElected: number;
  applied: number;
  reads: number;
}

type Action = [weight: number, run: () => void];

export function runChaos(o: ChaosOptions): ChaosResult {
  const rng = new Rng(o.seed ^ 0x5eed);
  const c = new Cluster({
    seed: o.seed,
    voters: o.voters,
    electionTick: o.electionTick ?? 10,
    heartbeatTick: Math.max(1, Math.floor((o.electionTick ?? 10) / 5)),
    faults: o.faults,
    preVote: o.preVote ?? true,
    checkQuorum: o.checkQuorum ?? true,
    snapshotEvery: o.snapshotEvery ?? 0,
    keepAfterCompact: 3,
    maxInflightMsgs: 4,
    maxSizePerMsg: 256,
  });
  let nextId = o.voters + 1;
  const up = () => c.upMembers().map((m) => m.id);
  const down = () => c.ids.filter((id) => !c.member(id).up);

  const actions: Action[] = [
    [20, () => c.tickAll()],
    [50, () => c.deliverRandom()],
    [25, () => readyOf(rng.pick(up()))],
    [6, () => c.propose(rng.pick(up()))],
  ];
  const readyOf = (id: NodeId) => c.processReady(id);
  if (o.reads) {
    actions.push([2, () => c.readIndex(rng.pick(up()))]);
    // Reads on whoever believes it leads, deposed leaders included.
    actions.push([2, () => {
      const leaders = c.leaders();
      if (leaders.length > 0) c.readIndex(rng.pick(leaders)[0]);
    }]);
  }
  const t = o.turbulence ?? 1;
  if (o.crashes) {
    actions.push([0.15 * t, () => c.crash(rng.pick(up()))]);
    actions.push([0.15 * t, () => c.processReady(rng.pick(up()), true)]);
    actions.push([1, () => down().length > 0 && c.restart(rng.pick(down()))]);
    // Leaders are where the interesting failures are: crash them mid-replication.
    actions.push([0.15 * t, () => {
      const l = c.leader();
      if (l !== undefined) c.processReady(l, true) || c.crash(l);
    }]);
  }
  if (o.partitions) {
    actions.push([0.2 * t, () => randomPartition(c, rng)]);
    actions.push([0.5, () => c.heal()]);
    // Cut the leader off with at most a minority, so a new leader rises beside it.
    actions.push([0.2 * t, () => {
      const l = c.leader();
      if (l === undefined) return;
      const others = c.ids.filter((id) => id !== l && rng.chance(0.3));
      const side = [l, ...others.slice(0, Math.floor((c.ids.length - 1) / 2))];
      c.net.partition([side, c.ids.filter((id) => !side.includes(id))]);
    }]);
  }
  if (o.transfers) {
    actions.push([0.4, () => {
      const l = c.leader();
      if (l !== undefined) c.node(l).transferLeader(rng.pick(c.ids));
    }]);
  }
  if (o.confChanges) {
    actions.push([0.8, () => {
      const id = rng.pick(up());
      const cfg = c.node(id).status().config;
      const roll = rng.int(3);
      if (roll === 0 && cfg.learners.length === 0 && c.ids.length < o.voters + 3) {
        const newId = BigInt(nextId++);
        c.addMember(newId);
        c.proposeConfChange(id, { type: 'addLearner', nodeId: newId });
      } else if (roll === 1 && cfg.learners.length > 0) {
        c.proposeConfChange(id, { type: 'promoteLearner', nodeId: rng.pick(cfg.learners) });
      } else if (roll === 2 && cfg.voters.length > 3) {
        c.proposeConfChange(id, { type: 'removeNode', nodeId: rng.pick(cfg.voters) });
      }
    }]);
  }
  const total = actions.reduce((s, [w]) => s + w, 0);

  for (let step = 0; step < o.steps; step++) {
    if (up().length === 0) c.restart(rng.pick(down()));
    let x = rng.next() * total;
    for (const [w, run] of actions) {
      x -= w;
      if (x < 0) {
        run();
        break;
      }
    }
  }
  c.checkLogs(true);
  settle(c);
  return { cluster: c, leadersElected: c.check.stats.leadersElected, applied: c.check.stats.applied, reads: c.check.stats.reads };
}

function randomPartition(c: Cluster, rng: Rng): void {
  const ids = c.ids;
  const minority = ids.filter(() => rng.chance(0.4));
  if (minority.length === 0 || minority.length === ids.length) return;
  c.net.partition([minority, ids.filter((id) => !minority.includes(id))]);
}

/**
 * Liveness: with the network healed and every member restarted, a leader
 * is elected and a new proposal is applied by every member of its
 * configuration, which all end with the same state machine.
 */
export function settle(c: Cluster): void {
  c.net.faults = RELIABLE;
  c.heal();
  for (const id of c.ids) c.restart(id);
  c.stabilize();
  for (let attempt = 0; attempt < 20; attempt++) {
    const leader = c.waitForLeader(1000);
    const payload = c.propose(leader, `final-${attempt}`);
    c.tickAndStabilize(30);
    if (payload === undefined) continue;
    const members = c.node(leader).status().config;
    const everyone = [...members.voters, ...members.learners];
    if (everyone.every((id) => c.appliedPayloads(id).includes(payload))) {
      checkConverged(c, everyone);
      return;
    }
  }
  throw new Error('liveness: no proposal committed on every member after healing');
}

function checkConverged(c: Cluster, ids: NodeId[]): void {
  c.checkLogs(true);
  const history = c.check.committed;
  for (const id of ids) {
    const sm = c.member(id).sm;
    if (sm.length !== history.length) c.check.fail(`${id} applied ${sm.length - 1} entries, history has ${history.length - 1}`);
    for (let i = 1; i < history.length; i++) {
      if (sm[i] !== history[i]) c.check.fail(`${id} lost or changed committed entry ${i}: ${sm[i]} vs ${history[i]}`);
    }
  }
}
