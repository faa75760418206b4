/**
 * One fault run: start three members, run the client load, apply the schedule's faults one
 * after another, heal everything, then check the cluster and the history (verify.ts). Every
 * wait is bounded; every process is killed and the data directory removed at the end.
 */
import fs from 'node:fs'
import path from 'node:path'
import { removeDir, tmpDir } from '../helpers/procs.js'
import { FaultCluster, destroyAllClusters, type Member } from './cluster-under-fault.js'
import { HistoryRecorder } from './history.js'
import { checkHistory } from './linearizability.js'
import { Load } from './load.js'
import { Rng } from '../helpers/rng.js'
import { describeFault, type Fault, type Schedule, type Target } from './schedule.js'
import {
  compareHistories,
  findLeader,
  memberHistory,
  missingAcknowledged,
  resolveUnknown,
  waitSettled,
  type HistEvent,
} from './verify.js'
import { sleep } from '../helpers/wait.js'

export const PREFIX = 'fault/'
const KEYS = [`${PREFIX}a`, `${PREFIX}b`, `${PREFIX}c`]
const OP_TIMEOUT_MS = 2000
const SETTLE_MS = 45000
const PROGRESS_MS = 20000

export interface RunResult {
  failures: string[]
  /** One line of numbers about the run. */
  summary: string
  /** Member log excerpts, when something failed. */
  logs: string
}

/** Data directories of runs still going, for `cleanUpRuns` after a timed-out test. */
const dirs = new Set<string>()

export async function cleanUpRuns(): Promise<void> {
  await destroyAllClusters()
  for (const d of dirs) removeDir(d)
  dirs.clear()
}

export async function runSchedule(schedule: Schedule, log: (line: string) => void = () => {}): Promise<RunResult> {
  const dir = tmpDir('tsetcd-fault-')
  dirs.add(dir)
  const failures: string[] = []
  const rng = new Rng(schedule.seed ^ 0x5bd1e995)
  const rec = new HistoryRecorder()
  let cluster: FaultCluster | undefined
  let load: Load | undefined
  try {
    cluster = await FaultCluster.create({
      dir,
      snapshotCount: schedule.snapshotCount,
      maxSnapshots: schedule.maxSnapshots,
      maxWals: schedule.maxWals,
      walSegmentBytes: schedule.walSegmentBytes,
      onFailure: (m) => log(`  ! ${m}`),
    })
    await waitSettled(cluster, SETTLE_MS)
    load = new Load(rec, cluster.endpoints, { clients: 4, keys: KEYS, opTimeoutMs: OP_TIMEOUT_MS, rng: rng.fork() })
    load.start()
    if (!(await load.progress(20, PROGRESS_MS)))
      failures.push(`no client operation completed within ${PROGRESS_MS} ms of the start`)
    for (const [i, step] of schedule.steps.entries()) {
      if (cluster.raftLoopFailed.size > 0) {
        log(`  stopping the schedule before step ${i + 1}: a raft loop failed`)
        break
      }
      log(`  step ${i + 1}: ${describeFault(step.fault)} for ${step.holdMs} ms (${load.completed} ops so far)`)
      await applyFault(cluster, step.fault, step.holdMs)
      await sleep(step.gapMs)
      if (cluster.raftLoopFailed.size === 0 && !(await load.progress(1, PROGRESS_MS)))
        failures.push(
          `after step ${i + 1} (${describeFault(step.fault)}) was healed, no client operation completed within ${PROGRESS_MS} ms`,
        )
    }
  } catch (err) {
    failures.push(`the schedule could not run to its end: ${(err as Error).message}`)
  }
  await load?.stop()

  let events: HistEvent[] | undefined
  if (cluster) {
    try {
      await cluster.healAll()
      const revision = await waitSettled(cluster, SETTLE_MS)
      const hs: HistEvent[][] = []
      for (const m of cluster.members) hs.push(await memberHistory(m, PREFIX, revision, 20000))
      events = hs[0]
      failures.push(
        ...compareHistories(
          cluster.members.map((m) => m.name),
          hs,
        ),
      )
      for (const [i, m] of cluster.members.entries())
        failures.push(...missingAcknowledged(m.name, rec.ops, hs[i]).slice(0, 10))
    } catch (err) {
      failures.push((err as Error).message)
    }
  }

  // even when the cluster did not come back, what the clients saw must be linearizable
  // without the cluster's history, unknown outcomes stay unknown
  const resolved = events
    ? resolveUnknown(rec.ops, events)
    : {
        ops: rec.ops,
        tookEffect: 0,
        dropped: 0,
        open: rec.ops.filter((o) => o.output === undefined && o.input.kind !== 'get').length,
      }
  const t0 = Date.now()
  const verdict = checkHistory(resolved.ops)
  const checkMs = Date.now() - t0
  if (!verdict.ok) failures.push(`the history is not linearizable:\n${verdict.explanation}`)
  const unknown = rec.ops.filter((o) => o.output === undefined && o.input.kind !== 'get').length
  const summary =
    `${rec.ops.length} ops (${load?.completed ?? 0} ok, ${load?.failed ?? 0} failed: ${unknown} writes with unknown outcome → ` +
    `${resolved.tookEffect} took effect, ${resolved.dropped} did not, ${resolved.open} open), ${events?.length ?? 'no'} events, ` +
    `${cluster?.proxy.unidentified ?? 0} unidentified peer connections, ` +
    `checked in ${checkMs} ms (${verdict.keys.map((k) => `${k.key}: ${k.ops} ops ${k.result}`).join(', ')})`

  let logs = ''
  if (cluster) {
    failures.push(...cluster.failures)
    if (failures.length > 0) logs = cluster.members.map((m) => cluster!.excerpt(m)).join('\n')
    const artifacts = process.env.FAULT_ARTIFACTS
    if (artifacts && failures.length > 0) {
      const out = path.join(artifacts, `seed-${schedule.seed}`)
      fs.mkdirSync(out, { recursive: true })
      for (const m of cluster.members) fs.writeFileSync(path.join(out, `${m.name}.log`), m.log)
      fs.writeFileSync(
        path.join(out, 'history.json'),
        JSON.stringify(rec.ops, (_k, v) => (v === Infinity ? 'Infinity' : v), 1),
      )
      fs.writeFileSync(path.join(out, 'failures.txt'), failures.join('\n\n') + '\n')
      logs += `\n(full logs and history in ${out})`
    }
    await cluster.destroy()
  }
  removeDir(dir)
  dirs.delete(dir)
  return { failures, summary, logs }
}

async function resolveTarget(cluster: FaultCluster, t: Target): Promise<Member> {
  if ('member' in t) return cluster.members[t.member]
  return (await findLeader(cluster, 3000)) ?? cluster.members[0]
}

async function applyFault(cluster: FaultCluster, f: Fault, holdMs: number): Promise<void> {
  const proxy = cluster.proxy
  const isolate = (m: Member, mode: 'drop' | 'blackhole') => {
    for (const o of cluster.members) {
      if (o === m) continue
      proxy.cut(m.index, o.index, mode)
      proxy.cut(o.index, m.index, mode)
    }
  }
  switch (f.kind) {
    case 'kill9': {
      const m = await resolveTarget(cluster, f.target)
      await cluster.kill9(m)
      await sleep(holdMs)
      await cluster.start(m)
      return
    }
    case 'term': {
      const m = await resolveTarget(cluster, f.target)
      await cluster.term(m)
      await sleep(holdMs)
      await cluster.start(m)
      return
    }
    case 'pause': {
      const m = await resolveTarget(cluster, f.target)
      cluster.pause(m)
      await sleep(holdMs)
      cluster.resume(m)
      return
    }
    case 'cut':
      proxy.cut(f.from, f.to, f.mode)
      if (f.both) proxy.cut(f.to, f.from, f.mode)
      await sleep(holdMs)
      proxy.healAll()
      return
    case 'isolate': {
      const m = await resolveTarget(cluster, f.target)
      isolate(m, f.mode)
      await sleep(holdMs)
      proxy.healAll()
      return
    }
    case 'kill9-while-isolated': {
      const m = await resolveTarget(cluster, f.target)
      isolate(cluster.members[f.isolated], f.mode)
      await cluster.kill9(m)
      await sleep(holdMs)
      await cluster.start(m)
      proxy.healAll()
      return
    }
  }
}
