/**
 * What must hold once a schedule is over and everything is healed: one leader that every
 * member agrees on, every member serving linearizable reads and at the same applied index,
 * the same MVCC history on every member (every event from revision 1, read with a watch
 * served by that member) holding every acknowledged write at the revision it was
 * acknowledged with, and a linearizable client history.
 */
import { EtcdClient } from '../../src/client/client.js'
import { prefixEnd } from '../../src/client/kv-ops.js'
import { WatchSession } from '../../src/client/watch.js'
import { KVService, MaintenanceService } from '../../src/gen/etcdserverpb.js'
import type { FaultCluster, Member } from './cluster-under-fault.js'
import { describeOp, isAcknowledgedWrite, type Operation } from './history.js'

async function withClient<T>(endpoint: string, fn: (c: EtcdClient) => Promise<T>): Promise<T> {
  const c = await EtcdClient.connect({ endpoints: [endpoint], dialTimeoutMs: 1000 })
  try {
    return await fn(c)
  } finally {
    c.close()
  }
}

async function status(m: Member) {
  return withClient(m.endpoint, (c) => c.call(MaintenanceService.Status, {}, 1000))
}

/** The member that is leader now, if one answers within `timeoutMs`. */
export async function findLeader(
  cluster: FaultCluster,
  timeoutMs: number,
  among: Member[] = cluster.members,
): Promise<Member | undefined> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    for (const m of among) {
      if (!cluster.isRunning(m) || m.paused) continue
      try {
        const s = await status(m)
        if (s.leader !== 0n && s.leader === s.header?.member_id) return m
      } catch {
        // down or no leader yet
      }
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return undefined
}

/**
 * Waits until every member agrees on one leader, answers a linearizable read and has applied
 * the same index; returns the store revision then. Throws, saying what did not happen.
 */
export async function waitSettled(cluster: FaultCluster, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    if (cluster.raftLoopFailed.size > 0)
      throw new Error(
        `the cluster cannot settle: the raft loop of ${[...cluster.raftLoopFailed].join(', ')} failed (last: ${last || 'not yet checked'})`,
      )
    try {
      const st = []
      for (const m of cluster.members) st.push(await status(m))
      const leaders = new Set(st.map((s) => s.leader))
      const leaderId = st[0].leader
      const selfLeaders = st.filter((s) => s.leader !== 0n && s.leader === s.header?.member_id).length
      if (leaders.size !== 1 || leaderId === 0n || selfLeaders !== 1) {
        last = `leaders as seen by each member: ${st.map((s, i) => `etcd${i + 1}→${s.leader.toString(16)}`).join(', ')}`
      } else {
        const revs: number[] = []
        for (const m of cluster.members)
          revs.push(
            await withClient(
              m.endpoint,
              async (c) =>
                (await c.call(KVService.Range, { key: Buffer.from('settle-probe') }, 2000)).header?.revision ?? 0,
            ),
          )
        const st2 = []
        for (const m of cluster.members) st2.push(await status(m))
        const applied = st2.map((s) => s.raftAppliedIndex)
        if (applied.every((a) => a === applied[0])) return Math.max(...revs)
        last = `applied index per member: ${applied.join(', ')}`
      }
    } catch (err) {
      last = (err as Error).message.split('\n')[0]
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`the cluster did not settle within ${timeoutMs} ms after healing: ${last}`)
}

export interface HistEvent {
  revision: number
  type: 'put' | 'delete'
  key: string
  value: string
  createRevision: number
  version: number
}

export function describeEvent(e: HistEvent | undefined): string {
  if (!e) return '(none)'
  return `rev ${e.revision} ${e.type} ${e.key}${e.type === 'put' ? `=${JSON.stringify(e.value)} (created ${e.createRevision}, version ${e.version})` : ''}`
}

/** Every event under `prefix` from revision 1 to `toRevision`, as the member's own watch serves them. */
export async function memberHistory(
  m: Member,
  prefix: string,
  toRevision: number,
  timeoutMs: number,
): Promise<HistEvent[]> {
  const client = await EtcdClient.connect({ endpoints: [m.endpoint], dialTimeoutMs: 1000 })
  const session = WatchSession.open(client, () => EtcdClient.connect({ endpoints: [m.endpoint], dialTimeoutMs: 1000 }))
  const events: HistEvent[] = []
  let timer: NodeJS.Timeout | undefined
  try {
    const w = session.watch({ key: Buffer.from(prefix), rangeEnd: prefixEnd(Buffer.from(prefix)), startRevision: 1 })
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))
    while ((events.at(-1)?.revision ?? 0) < toRevision) {
      const r = await Promise.race([w.next(), timeout])
      if (r === 'timeout')
        throw new Error(
          `${m.name}: watch from revision 1 delivered events up to revision ${events.at(-1)?.revision ?? 0} of ${toRevision} within ${timeoutMs} ms`,
        )
      if (r === undefined)
        throw new Error(`${m.name}: watch from revision 1 ended after revision ${events.at(-1)?.revision ?? 0}`)
      if (r.canceled || r.compact_revision > 0)
        throw new Error(
          `${m.name}: watch from revision 1 canceled (compact revision ${r.compact_revision}, reason ${JSON.stringify(r.cancel_reason)})`,
        )
      for (const e of r.events) {
        const kv = e.kv!
        events.push({
          revision: kv.mod_revision,
          type: e.type === 1 ? 'delete' : 'put',
          key: kv.key.toString(),
          value: kv.value.toString(),
          createRevision: kv.create_revision,
          version: kv.version,
        })
      }
    }
    return events
  } finally {
    clearTimeout(timer)
    session.close()
    client.close()
  }
}

/** Differences between the members' histories (empty when identical). */
export function compareHistories(names: string[], hs: HistEvent[][]): string[] {
  const out: string[] = []
  for (let i = 1; i < hs.length; i++) {
    const a = hs[0]
    const b = hs[i]
    const n = Math.max(a.length, b.length)
    for (let j = 0; j < n; j++) {
      if (describeEvent(a[j]) !== describeEvent(b[j])) {
        out.push(
          `${names[0]} and ${names[i]} differ at their event #${j}: ${names[0]} has ${describeEvent(a[j])}, ${names[i]} has ${describeEvent(b[j])} (${a.length} vs ${b.length} events)`,
        )
        break
      }
    }
  }
  return out
}

/** Acknowledged writes missing from a member's history at the revision they were acknowledged with. */
export function missingAcknowledged(name: string, ops: Operation[], events: HistEvent[]): string[] {
  const at = new Map<string, HistEvent>()
  for (const e of events) at.set(`${e.revision}/${e.key}`, e)
  const out: string[] = []
  for (const op of ops) {
    if (!isAcknowledgedWrite(op) || op.revision === undefined) continue
    const e = at.get(`${op.revision}/${op.key}`)
    const ok =
      op.input.kind === 'delete'
        ? e?.type === 'delete'
        : e?.type === 'put' && 'value' in op.input && e.value === op.input.value
    if (!ok) out.push(`${name} lacks acknowledged ${describeOp(op)}; its history at that revision: ${describeEvent(e)}`)
  }
  return out
}

/**
 * Settles what can be settled about operations with unknown outcome, from the cluster's
 * history (values are unique, so a put's value in the history says it took effect):
 * - a put or CAS whose value is in the history took effect: it gets that result, and its
 *   response time becomes the first response of an operation that saw a revision at least
 *   as new (it was applied before that one answered);
 * - a put or CAS whose value is not in the history never took effect: dropped;
 * - a delete, when every delete event of its key is explained by an acknowledged delete:
 *   dropped (a delete of an absent key changes nothing either). Otherwise it stays unknown.
 */
export function resolveUnknown(
  ops: Operation[],
  events: HistEvent[],
): { ops: Operation[]; tookEffect: number; dropped: number; open: number } {
  const putAt = new Map<string, number>()
  const deletes = new Map<string, Set<number>>()
  for (const e of events) {
    if (e.type === 'put') putAt.set(`${e.key}\0${e.value}`, e.revision)
    else {
      if (!deletes.has(e.key)) deletes.set(e.key, new Set())
      deletes.get(e.key)!.add(e.revision)
    }
  }
  for (const op of ops)
    if (
      op.input.kind === 'delete' &&
      op.output?.kind === 'delete' &&
      op.output.deleted > 0 &&
      op.revision !== undefined
    )
      deletes.get(op.key)?.delete(op.revision)
  // smallest response time among operations that answered with a revision >= r
  const answered = ops
    .filter((o) => o.output !== undefined && o.revision !== undefined)
    .sort((a, b) => b.revision! - a.revision!)
  const minRet: number[] = []
  for (const o of answered) minRet.push(Math.min(o.ret, minRet.at(-1) ?? Infinity))
  const retBound = (r: number): number => {
    let lo = 0
    let hi = answered.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (answered[mid].revision! >= r) lo = mid + 1
      else hi = mid
    }
    return lo === 0 ? Infinity : minRet[lo - 1]
  }
  const out: Operation[] = []
  let tookEffect = 0
  let dropped = 0
  let open = 0
  for (const op of ops) {
    if (op.output !== undefined || op.input.kind === 'get') {
      out.push(op)
      continue
    }
    if (op.input.kind === 'put' || op.input.kind === 'cas') {
      const r = putAt.get(`${op.key}\0${op.input.value}`)
      if (r === undefined) {
        dropped++
        continue
      }
      tookEffect++
      const bound = retBound(r)
      out.push({
        ...op,
        output: op.input.kind === 'put' ? { kind: 'put' } : { kind: 'cas', succeeded: true },
        revision: r,
        ret: Math.max(bound, op.call),
        resolved: `client saw: ${op.error ?? 'unknown'}; committed at rev ${r}${bound === Infinity ? '' : ', seen by a response at ' + bound.toFixed(1) + ' ms'}`,
      })
      continue
    }
    if ((deletes.get(op.key)?.size ?? 0) === 0) {
      dropped++
      continue
    }
    open++
    out.push(op)
  }
  return { ops: out, tookEffect, dropped, open }
}
