/**
 * Thousands of random schedules over simulated clusters (see sim/chaos.ts);
 * every Raft safety invariant is checked after every step, liveness after
 * healing. A failure prints the seed; replay one schedule with
 *   RAFT_SEED=<seed> npx mocha --no-config dist/test/unit/raft/property.test.js -g '<test name>'
 * RAFT_SCHEDULES=<n> sets the number of schedules of all properties together
 * (default 2100, split in proportion); a longer hunt, e.g.
 *   RAFT_SCHEDULES=20000 npx mocha --no-config --timeout 0 dist/test/unit/raft/property.test.js
 * RAFT_RUNS=<n> (older) scales the schedules per property as n per 100.
 * Each property prints how often its schedules reached the dangerous
 * situations: two members believing they lead at once, and reads issued on a
 * deposed leader.
 */
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { runChaos, type ChaosOptions, type ChaosResult } from './sim/chaos.js'

const FAULTY = { drop: 0.05, duplicate: 0.03, maxDelay: 3 }
/** Fixes fast-check's choice of schedule seeds (the mutation check uses it to be reproducible). */
const fcSeed = process.env.RAFT_FC_SEED === undefined ? undefined : Number(process.env.RAFT_FC_SEED)
const replaySeed = process.env.RAFT_SEED === undefined ? undefined : Number(process.env.RAFT_SEED)
/** Schedules of all properties together by default; RAFT_SCHEDULES=<n> rescales them. */
const DEFAULT_SCHEDULES = 2100
const runsScale =
  process.env.RAFT_SCHEDULES !== undefined
    ? Number(process.env.RAFT_SCHEDULES) / DEFAULT_SCHEDULES
    : process.env.RAFT_RUNS === undefined
      ? 1
      : Number(process.env.RAFT_RUNS) / 100

function property(
  name: string,
  runs: number,
  options: (seed: number) => ChaosOptions,
  minimum: (total: ChaosResult[]) => void,
): void {
  it(name, function () {
    this.timeout(120_000)
    const results: ChaosResult[] = []
    const runOne = (seed: number) => {
      try {
        results.push(runChaos(options(seed)))
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e))
        err.message = `${err.message}\n  replay: RAFT_SEED=${seed} npx mocha --no-config dist/test/unit/raft/property.test.js -g '${name}'`
        throw err
      }
    }
    if (replaySeed !== undefined) {
      runOne(replaySeed)
      return
    }
    fc.assert(fc.property(fc.integer({ min: 1, max: 0x7fffffff }), runOne), {
      numRuns: Math.max(1, Math.round(runs * runsScale)),
      endOnFailure: true, // shrinking a seed means nothing: report the first failure
      ...(fcSeed === undefined ? {} : { seed: fcSeed }),
    })
    const pct = (f: (r: ChaosResult) => boolean) => `${((100 * results.filter(f).length) / results.length).toFixed(0)}%`
    console.log(
      `      [sim] ${results.length} schedules: two leaders at once in ${pct((r) => r.twoLeaders)}, ` +
        `reads on a deposed leader in ${pct((r) => r.deposedRead)}`,
    )
    minimum(results)
  })
}

const sum = (rs: ChaosResult[], f: (r: ChaosResult) => number) => rs.reduce((s, r) => s + f(r), 0)

/** The schedules must actually exercise the cluster, or passing proves little. */
function exercised(rs: ChaosResult[], reads = false): void {
  assert.ok(sum(rs, (r) => r.leadersElected) > rs.length, 'more than one leader per schedule on average')
  assert.ok(sum(rs, (r) => r.applied) > rs.length * 3, 'entries get applied')
  if (reads)
    assert.ok(
      sum(rs, (r) => r.reads) > rs.length / 2,
      `reads get answered (${sum(rs, (r) => r.reads)} in ${rs.length} schedules)`,
    )
}

describe('raft properties: random schedules on a faulty network', () => {
  property(
    '3 members, PreVote + CheckQuorum, drops/dups/delays, crashes, partitions, reads, transfers',
    500,
    (seed) => ({
      seed,
      voters: 3,
      steps: 1200,
      faults: FAULTY,
      crashes: true,
      partitions: true,
      reads: true,
      transfers: true,
    }),
    (rs) => exercised(rs, true),
  )

  property(
    '3 members, no PreVote nor CheckQuorum: deposed leaders linger and get reads and proposals',
    500,
    (seed) => ({
      seed,
      voters: 3,
      steps: 1200,
      faults: FAULTY,
      crashes: true,
      partitions: true,
      reads: true,
      transfers: true,
      preVote: false,
      checkQuorum: false,
    }),
    (rs) => exercised(rs, true),
  )

  property(
    '5 members, no PreVote nor CheckQuorum (more disruptive elections)',
    400,
    (seed) => ({
      seed,
      voters: 5,
      steps: 1200,
      faults: FAULTY,
      crashes: true,
      partitions: true,
      reads: true,
      preVote: false,
      checkQuorum: false,
    }),
    (rs) => exercised(rs, true),
  )

  property(
    'membership changes with snapshots and compaction',
    400,
    (seed) => ({
      seed,
      voters: 3,
      steps: 1200,
      faults: FAULTY,
      crashes: true,
      partitions: true,
      confChanges: true,
      transfers: true,
      snapshotEvery: 6,
    }),
    (rs) => exercised(rs),
  )

  property(
    'crash-heavy: frequent crashes in the middle of Ready handling, short election timeout',
    300,
    (seed) => ({
      seed,
      voters: 3 + (seed % 2) * 2,
      steps: 1200,
      faults: FAULTY,
      crashes: true,
      partitions: true,
      reads: true,
      turbulence: 4,
      electionTick: 5,
      snapshotEvery: seed % 3 === 0 ? 5 : 0,
    }),
    (rs) => exercised(rs),
  )
})
