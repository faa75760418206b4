// etcdctl's default output (printer_simple.go).
import type {
  AlarmResponse,
  DeleteRangeResponse,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseTimeToLiveResponse,
  MemberAddResponse,
  MemberListResponse,
  PutResponse,
  RangeResponse,
  TxnResponse,
  WatchResponse,
  AuthRoleGetResponse,
  AuthUserGetResponse,
  AuthRoleListResponse,
  AuthUserListResponse,
} from '../gen/etcdserverpb.js'
import { AlarmMemberFields, AlarmTypeNames, ResponseOpFields } from '../gen/etcdserverpb.js'
import type { KeyValue } from '../gen/mvccpb.js'
import { Event_EventTypeNames } from '../gen/mvccpb.js'
import type { Printer } from './printer.js'
import type { EndpointHashKV, EndpointHealth, EndpointStatus, SnapshotStatus } from './rows.js'
import { dbStatusRows, endpointHashKVRows, endpointStatusRows, memberListRows } from './rows.js'
import { Out, type Output } from './out.js'
import { hex } from '../go/fmt.js'
import { quote } from '../go/strconv.js'
import { compactText } from './proto-text.js'
import { roleGetLines } from './role-get.js'

/** printKV: key and value lines, raw or as \xNN escapes with --hex. */
export function printKV(o: Out, isHex: boolean, valueOnly: boolean, kv: KeyValue): void {
  const enc = (b: Uint8Array): string | Uint8Array =>
    isHex ? Buffer.from(b).toString('hex').replace(/(..)/g, '\\x$1') : b
  if (!valueOnly) o.line(enc(kv.key))
  o.line(enc(kv.value))
}

const EMPTY_KV: KeyValue = {
  key: Buffer.alloc(0),
  value: Buffer.alloc(0),
  create_revision: 0,
  mod_revision: 0,
  version: 0,
  lease: 0n,
}

function joinRows(o: Out, rows: string[][]): Output {
  for (const r of rows) o.line(r.join(', '))
  return o.done()
}

export class SimplePrinter implements Printer {
  constructor(readonly isHex = false) {}

  private delInto(o: Out, r: DeleteRangeResponse): void {
    o.line(String(r.deleted))
    for (const kv of r.prev_kvs) printKV(o, this.isHex, false, kv)
  }

  private getInto(o: Out, r: RangeResponse, valueOnly: boolean): void {
    for (const kv of r.kvs) printKV(o, this.isHex, valueOnly, kv)
  }

  private putInto(o: Out, r: PutResponse): void {
    o.line('OK')
    if (r.prev_kv !== undefined) printKV(o, this.isHex, false, r.prev_kv)
  }

  del(r: DeleteRangeResponse): Output {
    const o = new Out()
    this.delInto(o, r)
    return o.done()
  }

  get(r: RangeResponse, opts?: { valueOnly?: boolean }): Output {
    const o = new Out()
    this.getInto(o, r, opts?.valueOnly ?? false)
    return o.done()
  }

  put(r: PutResponse): Output {
    const o = new Out()
    this.putInto(o, r)
    return o.done()
  }

  txn(r: TxnResponse): Output {
    const o = new Out().line(r.succeeded ? 'SUCCESS' : 'FAILURE')
    for (const op of r.responses) {
      o.line()
      if (op.response_delete_range !== undefined) this.delInto(o, op.response_delete_range)
      else if (op.response_put !== undefined) this.putInto(o, op.response_put)
      else if (op.response_range !== undefined) this.getInto(o, op.response_range, false)
      else o.line('unexpected response ' + compactText(op, ResponseOpFields))
    }
    return o.done()
  }

  watch(r: WatchResponse): Output {
    const o = new Out()
    for (const e of r.events) {
      o.line(Event_EventTypeNames[e.type] ?? String(e.type))
      if (e.prev_kv !== undefined) printKV(o, this.isHex, false, e.prev_kv)
      printKV(o, this.isHex, false, e.kv ?? EMPTY_KV)
    }
    return o.done()
  }

  grant(r: LeaseGrantResponse): Output {
    return new Out().line(`lease ${hex(r.ID, 16, true)} granted with TTL(${r.TTL}s)`).done()
  }

  revoke(id: bigint): Output {
    return new Out().line(`lease ${hex(id, 16, true)} revoked`).done()
  }

  keepAlive(r: LeaseKeepAliveResponse): Output {
    return new Out().line(`lease ${hex(r.ID, 16, true)} keepalived with TTL(${r.TTL})`).done()
  }

  timeToLive(r: LeaseTimeToLiveResponse, keys: boolean): Output {
    const id = hex(r.ID, 16, true)
    if (r.grantedTTL === 0 && r.TTL === -1) return new Out().line(`lease ${id} already expired`).done()
    const o = new Out().print(`lease ${id} granted with TTL(${r.grantedTTL}s), remaining(${r.TTL}s)`)
    if (keys) {
      o.print(', attached keys([')
      r.keys.forEach((k, i) => o.print(i > 0 ? ' ' : '', k))
      o.print('])')
    }
    return o.line().done()
  }

  leases(r: LeaseLeasesResponse): Output {
    const o = new Out().line(`found ${r.leases.length} leases`)
    for (const l of r.leases) o.line(hex(l.ID, 16, true))
    return o.done()
  }

  alarm(r: AlarmResponse): Output {
    const o = new Out()
    for (const a of r.alarms) o.line(compactText(a, AlarmMemberFields, { alarm: AlarmTypeNames }))
    return o.done()
  }

  memberAdd(r: MemberAddResponse, newMemberName: string, peerURLs: string): Output {
    const newId = r.member?.ID ?? 0n
    const o = new Out().line(`Member ${hex(newId, 16)} added to cluster ${hex(r.header?.cluster_id ?? 0n, 16)}`)
    const conf: string[] = []
    for (const m of r.members) for (const u of m.peerURLs) conf.push(`${m.ID === newId ? newMemberName : m.name}=${u}`)
    o.print('\n')
    o.line(`ETCD_NAME=${quote(newMemberName)}`)
    o.line(`ETCD_INITIAL_CLUSTER=${quote(conf.join(','))}`)
    o.line(`ETCD_INITIAL_ADVERTISE_PEER_URLS=${quote(peerURLs)}`)
    o.line('ETCD_INITIAL_CLUSTER_STATE="existing"')
    return o.done()
  }

  private memberChange(verb: string, id: bigint, r: { header?: { cluster_id: bigint } }): Output {
    return new Out().line(`Member ${hex(id, 16)} ${verb} cluster ${hex(r.header?.cluster_id ?? 0n, 16)}`).done()
  }

  memberRemove(id: bigint, r: { header?: { cluster_id: bigint } }): Output {
    return this.memberChange('removed from', id, r)
  }

  memberUpdate(id: bigint, r: { header?: { cluster_id: bigint } }): Output {
    return this.memberChange('updated in', id, r)
  }

  memberPromote(id: bigint, r: { header?: { cluster_id: bigint } }): Output {
    return this.memberChange('promoted in', id, r)
  }

  memberList(r: MemberListResponse): Output {
    return joinRows(new Out(), memberListRows(r).rows)
  }

  endpointHealth(list: EndpointHealth[]): Output {
    const o = new Out()
    for (const h of list) {
      if (!h.error) o.stderr(`${h.endpoint} is healthy: successfully committed proposal: took = ${h.took}\n`)
      else o.stderr(`${h.endpoint} is unhealthy: failed to commit proposal: ${h.error}\n`)
    }
    return o.done()
  }

  endpointStatus(list: EndpointStatus[]): Output {
    return joinRows(new Out(), endpointStatusRows(list).rows)
  }

  endpointHashKV(list: EndpointHashKV[]): Output {
    return joinRows(new Out(), endpointHashKVRows(list).rows)
  }

  dbStatus(s: SnapshotStatus): Output {
    return joinRows(new Out(), dbStatusRows(s).rows)
  }

  moveLeader(leader: bigint, target: bigint): Output {
    return new Out().line(`Leadership transferred from ${hex(leader)} to ${hex(target)}`).done()
  }

  roleAdd(role: string): Output {
    return new Out().line(`Role ${role} created`).done()
  }

  roleGet(role: string, r: AuthRoleGetResponse): Output {
    const o = new Out()
    roleGetLines(o, role, r)
    return o.done()
  }

  roleDelete(role: string): Output {
    return new Out().line(`Role ${role} deleted`).done()
  }

  roleList(r: AuthRoleListResponse): Output {
    const o = new Out()
    for (const role of r.roles) o.line(role)
    return o.done()
  }

  roleGrantPermission(role: string): Output {
    return new Out().line(`Role ${role} updated`).done()
  }

  roleRevokePermission(role: string, key: string, end: string): Output {
    if (end.length === 0) return new Out().line(`Permission of key ${key} is revoked from role ${role}`).done()
    if (end !== '\x00')
      return new Out().line(`Permission of range [${key}, ${end}) is revoked from role ${role}`).done()
    return new Out().line(`Permission of range [${key}, <open ended> is revoked from role ${role}`).done()
  }

  userAdd(user: string): Output {
    return new Out().line(`User ${user} created`).done()
  }

  userGet(user: string, r: AuthUserGetResponse): Output {
    const o = new Out().line(`User: ${user}`).print('Roles:')
    for (const role of r.roles) o.print(' ' + role)
    return o.line().done()
  }

  userChangePassword(): Output {
    return new Out().line('Password updated').done()
  }

  userGrantRole(user: string, role: string): Output {
    return new Out().line(`Role ${role} is granted to user ${user}`).done()
  }

  userRevokeRole(user: string, role: string): Output {
    return new Out().line(`Role ${role} is revoked from user ${user}`).done()
  }

  userDelete(user: string): Output {
    return new Out().line(`User ${user} deleted`).done()
  }

  userList(r: AuthUserListResponse): Output {
    const o = new Out()
    for (const u of r.users) o.line(u)
    return o.done()
  }
}
