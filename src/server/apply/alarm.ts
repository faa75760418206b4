/**
 * Alarms, as etcd's (etcdserver/api/v3alarm and applierV3Capped / applierV3Corrupt): a set of
 * (member ID, alarm type) pairs, changed only by applying an AlarmRequest that went through
 * raft, so every member holds the same set. Each alarm is one record of the backend's alarm
 * bucket whose key is the marshalled etcdserverpb.AlarmMember (etcd's key) and whose value is
 * empty; the set is read back when the member starts and after a snapshot is installed.
 *
 * While an alarm is raised the apply stack refuses requests on every member:
 * - NOSPACE: Put, a Txn with a put in either branch and LeaseGrant fail with
 *   "etcdserver: mvcc: database space exceeded"; reads, deletes, compactions, revokes pass.
 * - CORRUPT: Put, DeleteRange, Txn, Compaction, LeaseGrant and LeaseRevoke fail with
 *   "etcdserver: corrupt cluster".
 */
import { Errors } from '../../errors/rpctypes.js'
import {
  AlarmRequest_AlarmAction,
  AlarmType,
  AlarmTypeNames,
  decodeAlarmMember,
  encodeAlarmMember,
  type AlarmMember,
  type AlarmRequest,
  type AlarmResponseInit,
  type RequestOp,
} from '../../gen/etcdserverpb.js'
import type { InternalRequest } from '../../gen/tsetcdpb.js'
import type { Backend, BackendWriteBatch } from '../backend/backend.js'
import { Bucket, bucketBounds, bucketKey } from '../backend/buckets.js'
import { responseHeader } from '../mvcc/range.js'
import type { Applier } from './applier.js'

const key = (m: AlarmMember): Buffer => bucketKey(Bucket.Alarm, encodeAlarmMember(m))
const id = (memberID: bigint, alarm: number): string => `${alarm}/${memberID}`

/** Told when an applied request raises an alarm type (its first member) or clears it (its last). */
export type AlarmListener = (change: { alarm: number; raised: boolean; member: bigint }) => void

export class AlarmStore {
  private readonly alarms = new Map<string, AlarmMember>()
  private readonly listeners: AlarmListener[] = []

  private constructor() {}

  static async open(backend: Backend): Promise<AlarmStore> {
    const s = new AlarmStore()
    await s.reload(backend)
    return s
  }

  /** Reads the set again from `backend` (after a snapshot replaced the database). */
  async reload(backend: Backend): Promise<void> {
    const [gte, lt] = bucketBounds(Bucket.Alarm)
    const found: AlarmMember[] = []
    for await (const chunk of backend.iterate(gte, lt))
      for (const [k] of chunk) found.push(decodeAlarmMember(k.subarray(1)))
    this.alarms.clear()
    for (const m of found) this.alarms.set(id(m.memberID, m.alarm), m)
  }

  onChange(l: AlarmListener): void {
    this.listeners.push(l)
  }

  private tell(change: Parameters<AlarmListener>[0]): void {
    for (const l of this.listeners) l(change)
  }

  /** Alarms of type `alarm` (NONE: all), ordered by type then member ID. */
  get(alarm: number = AlarmType.NONE): AlarmMember[] {
    const out = [...this.alarms.values()].filter((m) => alarm === AlarmType.NONE || m.alarm === alarm)
    return out.sort((a, b) => a.alarm - b.alarm || (a.memberID < b.memberID ? -1 : a.memberID > b.memberID ? 1 : 0))
  }

  has(alarm: number): boolean {
    for (const m of this.alarms.values()) if (m.alarm === alarm) return true
    return false
  }

  /** Raises `alarm` for `memberID` (kept as is when already raised); the alarm. */
  activate(wb: BackendWriteBatch, memberID: bigint, alarm: number): AlarmMember {
    const k = id(memberID, alarm)
    const had = this.alarms.get(k)
    if (had) return had
    const raised = !this.has(alarm)
    const m: AlarmMember = { memberID, alarm }
    this.alarms.set(k, m)
    wb.put(key(m), Buffer.alloc(0))
    if (raised) this.tell({ alarm, raised: true, member: memberID })
    return m
  }

  /** Clears `alarm` for `memberID`; the alarm cleared, undefined when it was not raised. */
  deactivate(wb: BackendWriteBatch, memberID: bigint, alarm: number): AlarmMember | undefined {
    const k = id(memberID, alarm)
    const m = this.alarms.get(k)
    if (!m) return undefined
    this.alarms.delete(k)
    wb.del(key(m))
    if (!this.has(alarm)) this.tell({ alarm, raised: false, member: memberID })
    return m
  }

  /** etcd's applierV3backend.Alarm. */
  apply(wb: BackendWriteBatch, r: AlarmRequest): AlarmResponseInit {
    switch (r.action) {
      case AlarmRequest_AlarmAction.GET:
        return { alarms: this.get(r.alarm) }
      case AlarmRequest_AlarmAction.ACTIVATE:
        return { alarms: [this.activate(wb, r.memberID, r.alarm)] }
      case AlarmRequest_AlarmAction.DEACTIVATE: {
        const m = this.deactivate(wb, r.memberID, r.alarm)
        return { alarms: m ? [m] : [] }
      }
      default:
        return { alarms: [] }
    }
  }
}

/** etcd's AlarmMember.String(): `memberID:<decimal> alarm:<TYPE> `. */
export function alarmString(m: AlarmMember): string {
  const type = AlarmTypeNames[m.alarm] ?? String(m.alarm)
  return `memberID:${m.memberID} alarm:${type} `
}

// etcd's quota cost of a txn counts the puts of its two branches, not of nested txns.
const hasPut = (ops: readonly RequestOp[] | undefined): boolean =>
  (ops ?? []).some((op) => op.request_put !== undefined)
const txnHasPut = (t: { success?: RequestOp[]; failure?: RequestOp[] }): boolean =>
  hasPut(t.success) || hasPut(t.failure)

/** Throws the error a raised alarm refuses `r` with. */
function refuse(alarms: AlarmStore, r: InternalRequest): void {
  if (alarms.has(AlarmType.CORRUPT)) {
    if (
      r.put !== undefined ||
      r.delete_range !== undefined ||
      r.txn !== undefined ||
      r.compaction !== undefined ||
      r.lease_grant !== undefined ||
      r.lease_revoke !== undefined
    )
      throw Errors.Corrupt
  }
  if (alarms.has(AlarmType.NOSPACE)) {
    if (r.put !== undefined || r.lease_grant !== undefined || (r.txn !== undefined && txnHasPut(r.txn)))
      throw Errors.NoSpace
  }
}

/** The top of the apply stack: applies alarm requests and refuses what a raised alarm forbids. */
export function alarmApplier(alarms: AlarmStore, next: Applier): Applier {
  return {
    apply(b, r, index) {
      if (r.alarm !== undefined)
        return { res: { header: responseHeader(b.revision), ...alarms.apply(b.writeBatch, r.alarm) } }
      refuse(alarms, r)
      return next.apply(b, r, index)
    },
  }
}
