/**
 * Random schedules over a simulated cluster: a seeded mix of ticks,
 * deliveries, Ready handling, proposals, reads, crashes (also in the middle
 * of a Ready), restarts, partitions, leader transfers and membership
 * changes, with every invariant checked after each step; then the network
 * heals and the cluster must elect a leader and commit again.
 */
import type { NodeId } from '../../../../src/raft/index.js'
import { Cluster } from './cluster.js'
import { RELIABLE, type Faults } from './network.js'
import { Rng } from '../../../helpers/rng.js'

export interface ChaosOptions {
  seed: number
  voters: number
  steps: number
  faults: Faults
  crashes?: boolean
  partitions?: boolean
  confChanges?: boolean
  transfers?: boolean
  reads?: boolean
  snapshotEvery?: number
  preVote?: boolean
  checkQuorum?: boolean
  /** Election timeout in ticks (heartbeats every fifth of it); default 10. */
  electionTick?: number
  /** Multiplies the weight of crashes, restarts and partitions (default 1). */
  turbulence?: number
}

export interface ChaosResult {
  cluster: Cluster
  leadersElected: number
  applied: number
  reads: number
  /** Some moment had two members that both believed they led. */
  twoLeaders: boolean
  /** A read was issued on a leader while a higher term existed. */
  deposedRead: boolean
}

type Action = [weight: number, run: () => void]

/**
 * The action mix is weighted towards what breaks Raft implementations:
 * leaders cut off with a minority (deposed leaders that still believe they
 * lead, with clients proposing and reading on them), one-way links, and
 * crashes while a Ready's disk write is in flight.
 */
export function runChaos(o: ChaosOptions): ChaosResult {
  const rng = new Rng(o.seed ^ 0x5eed)
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
    maxInflightMsgs: 1 + rng.int(4),
    // Small messages: logs diverge and get repaired entry by entry.
    maxSizePerMsg: rng.pick([1, 64, 256]),
    maxInflightBytes: rng.pick([0, 0, 48, 200]),
    maxCommittedSizePerReady: rng.pick([0, 0, 1, 100]),
    reportUnreachable: rng.pick([0, 0.3]),
  })
  let nextId = o.voters + 1
  const up = () => c.upMembers().map((m) => m.id)
  const down = () => c.ids.filter((id) => !c.member(id).up)
  const inFlight = () =>
    c
      .upMembers()
      .filter((m) => m.pending)
      .map((m) => m.id)
  /** Leaders, the deposed ones (lowest term) first. */
  const leadersByTerm = () =>
    c
      .leaders()
      .sort((a, b) => a[1].raft.term - b[1].raft.term)
      .map(([id]) => id)

  const actions: Action[] = [
    [10, () => c.tickAll()],
    // A member usually reacts to a message soon: its next Ready right after the delivery.
    [
      50,
      () => {
        for (let n = 1 + rng.int(3); n > 0; n--) {
          const to = c.deliverRandomTo()
          if (to === undefined) return
          if (c.member(to).up && rng.chance(0.6)) {
            if (c.member(to).pending || rng.chance(0.7)) c.processReady(to)
            else c.beginReady(to)
          }
        }
      },
    ],
    // A Ready's disk write starts, or the one in flight completes; in between the member keeps stepping.
    [
      30,
      () => {
        const id = rng.pick(up())
        if (c.member(id).pending || rng.chance(0.7)) c.processReady(id)
        else c.beginReady(id)
      },
    ],
    [4, () => c.propose(rng.pick(up()))],
    // Clients keep talking to whoever they believe leads, deposed leaders included.
    [
      3,
      () => {
        const leaders = leadersByTerm()
        if (leaders.length > 0) c.propose(rng.chance(0.6) ? leaders[0]! : rng.pick(leaders))
      },
    ],
  ]
  if (o.reads) {
    actions.push([2, () => c.readIndex(rng.pick(up()))])
    actions.push([
      6,
      () => {
        const leaders = leadersByTerm()
        if (leaders.length > 0) c.readIndex(rng.chance(0.6) ? leaders[0]! : leaders[leaders.length - 1]!)
      },
    ])
  }
  const t = o.turbulence ?? 1
  if (o.crashes) {
    actions.push([0.1 * t, () => c.crash(rng.pick(up()))])
    actions.push([0.1 * t, () => c.processReady(rng.pick(up()), true)])
    // A crash while the disk write is in flight loses that Ready but not what it sent early.
    actions.push([
      0.3 * t,
      () => {
        const pending = inFlight()
        if (pending.length > 0) c.crash(rng.pick(pending))
      },
    ])
    actions.push([1.5, () => down().length > 0 && c.restart(rng.pick(down()))])
    // Leaders are where the interesting failures are: crash them mid-replication.
    actions.push([
      0.1 * t,
      () => {
        const l = c.leader()
        if (l !== undefined && !c.processReady(l, true)) c.crash(l)
      },
    ])
  }
  // A partition lasts two to six election timeouts (in ticks), then heals.
  const electionTick = o.electionTick ?? 10
  let healAt = Infinity
  const partitioned = (cut: () => void) => () => {
    if (c.net.hasPartitions()) return
    cut()
    healAt = c.now + electionTick * (2 + 4 * rng.next())
  }
  if (o.partitions) {
    actions.push([0.2 * t, partitioned(() => randomPartition(c, rng))])
    actions.push([
      0.2 * t,
      () => {
        oneWayCut(c, rng)
        healAt = Math.min(healAt, c.now + electionTick * (2 + 4 * rng.next()))
      },
    ])
    actions.push([0.2, () => c.heal()])
    // Cut the leader off with a minority, so a new leader rises beside it.
    actions.push([
      0.6 * t,
      partitioned(() => {
        const l = c.leader()
        if (l !== undefined) isolateWithMinority(c, rng, l)
      }),
    ])
  }
  if (o.transfers) {
    actions.push([
      0.4,
      () => {
        // Requested on the leader or on any member (a follower forwards it).
        const l = rng.chance(0.5) ? c.leader() : rng.pick(up())
        if (l !== undefined) c.node(l).transferLeader(rng.pick(c.ids))
      },
    ])
  }
  if (o.confChanges) {
    actions.push([
      0.8,
      () => {
        const id = rng.pick(up())
        const cfg = c.node(id).status().config
        const roll = rng.int(4)
        if (roll === 0 && cfg.learners.length === 0 && c.ids.length < o.voters + 3) {
          const newId = BigInt(nextId++)
          c.addMember(newId)
          c.proposeConfChange(id, { type: 'addLearner', nodeId: newId })
        } else if (roll === 1 && cfg.learners.length > 0) {
          c.proposeConfChange(id, { type: 'promoteLearner', nodeId: rng.pick(cfg.learners) })
        } else if (roll === 2 && cfg.voters.length > 3) {
          c.proposeConfChange(id, { type: 'removeNode', nodeId: rng.pick(cfg.voters) })
        } else if (roll === 3 && c.ids.length < o.voters + 3) {
          // A new voter that may not even be up yet.
          const newId = BigInt(nextId++)
          c.addMember(newId)
          if (rng.chance(0.5)) c.crash(newId)
          c.proposeConfChange(id, { type: 'addNode', nodeId: newId })
        }
      },
    ])
  }
  const total = actions.reduce((sum, [w]) => sum + w, 0)

  // The adversary also strikes as soon as a leader is elected, before its first entries spread
  // (Raft paper Figure 8: a new leader's entries stay on a minority of the log).
  const cutNewLeader = o.partitions ? partitioned(() => isolateWithMinority(c, rng, c.leader()!)) : undefined
  let lastLeader = ''
  for (let step = 0; step < o.steps; step++) {
    if (up().length === 0) c.restart(rng.pick(down()))
    const l = c.leader()
    const key = l === undefined ? '' : `${l}@${c.node(l).raft.term}`
    if (key !== lastLeader) {
      lastLeader = key
      if (l !== undefined && cutNewLeader && rng.chance(0.1)) cutNewLeader()
    }
    if (c.now >= healAt) {
      c.heal()
      healAt = Infinity
    }
    let x = rng.next() * total
    for (const [w, run] of actions) {
      x -= w
      if (x < 0) {
        run()
        break
      }
    }
  }
  c.checkLogs(true)
  settle(c, rng)
  const st = c.check.stats
  return {
    cluster: c,
    leadersElected: st.leadersElected,
    applied: st.applied,
    reads: st.reads,
    twoLeaders: st.twoLeaders > 0,
    deposedRead: st.deposedReads > 0,
  }
}

/**
 * Cuts `leader` off together with fewer than half of its voters (possibly
 * none) and any non-voters, so that the rest can elect a new leader.
 */
export function isolateWithMinority(c: Cluster, rng: Rng, leader: NodeId): void {
  const voters = c.node(leader).status().config.voters
  // The leader's side holds at most ceil(n/2) - 1 voters, itself included: never a majority, nor a tie.
  const maxSide = Math.ceil(voters.length / 2) - 1
  const companions = voters.filter((id) => id !== leader && rng.chance(0.5)).slice(0, Math.max(0, maxSide - 1))
  const nonVoters = c.ids.filter((id) => id !== leader && !voters.includes(id) && rng.chance(0.3))
  const side = [leader, ...companions, ...nonVoters]
  c.net.partition([side, c.ids.filter((id) => !side.includes(id))])
}

function oneWayCut(c: Cluster, rng: Rng): void {
  const ids = c.ids
  const from = rng.pick(ids)
  const to = rng.pick(ids.filter((id) => id !== from))
  c.net.cutOneWay(from, to)
}

function randomPartition(c: Cluster, rng: Rng): void {
  const ids = c.ids
  const minority = ids.filter(() => rng.chance(0.4))
  if (minority.length === 0 || minority.length === ids.length) return
  c.net.partition([minority, ids.filter((id) => !minority.includes(id))])
}

/**
 * Liveness: with the network healed and every member restarted, a leader
 * is elected and a new proposal is applied by every member of its
 * configuration, which all end with the same state machine.
 */
export function settle(c: Cluster, rng: Rng): void {
  c.net.faults = RELIABLE
  c.heal()
  for (const id of c.ids) c.restart(id)
  c.stabilize()
  for (let attempt = 0; attempt < 20; attempt++) {
    const leader = c.waitForLeader(1000)
    const payload = c.propose(leader, `final-${attempt}`)
    c.tickAndStabilize(30)
    if (payload === undefined) continue
    const members = c.node(leader).status().config
    const everyone = [...members.voters, ...members.learners]
    if (everyone.every((id) => c.appliedPayloads(id).includes(payload))) {
      checkConverged(c, everyone)
      checkForwardedTransfer(c, rng, leader)
      return
    }
  }
  throw new Error('liveness: no proposal committed on every member after healing')
}

function checkConverged(c: Cluster, ids: NodeId[]): void {
  c.checkLogs(true)
  const history = c.check.committed
  for (const id of ids) {
    const sm = c.member(id).sm
    if (sm.length !== history.length)
      c.check.fail(`${id} applied ${sm.length - 1} entries, history has ${history.length - 1}`)
    for (let i = 1; i < history.length; i++) {
      if (sm[i] !== history[i]) c.check.fail(`${id} lost or changed committed entry ${i}: ${sm[i]} vs ${history[i]}`)
    }
  }
}

/**
 * A transfer requested on a follower is forwarded to the leader and hands
 * leadership to the member it names (not to the follower that forwarded it).
 */
function checkForwardedTransfer(c: Cluster, rng: Rng, leader: NodeId): void {
  const voters = c
    .node(leader)
    .status()
    .config.voters.filter((id) => id !== leader && c.member(id).up)
  if (voters.length < 2) return
  const via = rng.pick(voters)
  const target = rng.pick(voters.filter((id) => id !== via))
  c.node(via).transferLeader(target)
  c.stabilize()
  for (let i = 0; i < 30 && c.leader() === leader; i++) c.tickAndStabilize(1)
  const now = c.leader()
  if (now !== target) c.check.fail(`transfer to ${target} requested on ${via}: leader is ${now}, was ${leader}`)
}
