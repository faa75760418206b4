// -w fields (printer_fields.go): one `"Name" : value` line per field.
import type * as pb from '../gen/etcdserverpb.js'
import type { KeyValue } from '../gen/mvccpb.js'
import { Event_EventTypeNames } from '../gen/mvccpb.js'
import { Permission_TypeNames } from '../gen/authpb.js'
import { AlarmTypeNames, TxnResponseFields } from '../gen/etcdserverpb.js'
import { UnsupportedPrinter, rejectValueOnly } from './unsupported.js'
import { Out, type Output } from './out.js'
import { quote } from '../go/strconv.js'
import { nilPointerPanic } from './exit-error.js'
import { compactText } from './proto-text.js'
import type { EndpointHashKV, EndpointHealth, EndpointStatus, SnapshotStatus } from './rows.js'

function kv(o: Out, pfx: string, k: KeyValue): void {
  o.line(`"${pfx}Key" : ${quote(k.key)}`)
  o.line(`"${pfx}CreateRevision" : ${k.create_revision}`)
  o.line(`"${pfx}ModRevision" : ${k.mod_revision}`)
  o.line(`"${pfx}Version" : ${k.version}`)
  o.line(`"${pfx}Value" : ${quote(k.value)}`)
  o.line(`"${pfx}Lease" : ${k.lease}`)
}

function hdr(o: Out, h: pb.ResponseHeader | undefined): Out {
  if (h === undefined) throw nilPointerPanic()
  o.line(`"ClusterID" : ${h.cluster_id}`)
  o.line(`"MemberID" : ${h.member_id}`)
  o.line(`"Revision" : ${h.revision}`)
  o.line(`"RaftTerm" : ${h.raft_term}`)
  return o
}

function headerOnly(r: { header?: pb.ResponseHeader }): Output {
  return hdr(new Out(), r.header).done()
}

export class FieldsPrinter extends UnsupportedPrinter {
  constructor() {
    super('fields')
  }

  private delInto(o: Out, r: pb.DeleteRangeResponse): void {
    hdr(o, r.header).line(`"Deleted" : ${r.deleted}`)
    for (const k of r.prev_kvs) kv(o, 'Prev', k)
  }

  private getInto(o: Out, r: pb.RangeResponse): void {
    hdr(o, r.header)
    for (const k of r.kvs) kv(o, '', k)
    o.line(`"More" : ${r.more}`)
    o.line(`"Count" : ${r.count}`)
  }

  private putInto(o: Out, r: pb.PutResponse): void {
    hdr(o, r.header)
    if (r.prev_kv !== undefined) kv(o, 'Prev', r.prev_kv)
  }

  override del(r: pb.DeleteRangeResponse): Output {
    const o = new Out()
    this.delInto(o, r)
    return o.done()
  }

  override get(r: pb.RangeResponse, opts?: { valueOnly?: boolean }): Output {
    rejectValueOnly(opts)
    const o = new Out()
    this.getInto(o, r)
    return o.done()
  }

  override put(r: pb.PutResponse): Output {
    const o = new Out()
    this.putInto(o, r)
    return o.done()
  }

  override txn(r: pb.TxnResponse): Output {
    const o = hdr(new Out(), r.header).line(`"Succeeded" : ${r.succeeded}`)
    for (const op of r.responses) {
      if (op.response_delete_range !== undefined) this.delInto(o, op.response_delete_range)
      else if (op.response_put !== undefined) this.putInto(o, op.response_put)
      else if (op.response_range !== undefined) this.getInto(o, op.response_range)
      else {
        const v =
          op.response_txn === undefined ? '<nil>' : `&{ResponseTxn:${compactText(op.response_txn, TxnResponseFields)}}`
        o.line(`"Unknown" : ${quote(v)}`)
      }
    }
    return o.done()
  }

  override watch(r: pb.WatchResponse): Output {
    // clientv3.WatchResponse holds its header by value: the close response has a zero one.
    const o = hdr(new Out(), r.header ?? { cluster_id: 0n, member_id: 0n, revision: 0, raft_term: 0n })
    for (const e of r.events) {
      o.line(`"Type" : ${Event_EventTypeNames[e.type] ?? e.type}`)
      if (e.prev_kv !== undefined) kv(o, 'Prev', e.prev_kv)
      kv(
        o,
        '',
        e.kv ?? {
          key: Buffer.alloc(0),
          value: Buffer.alloc(0),
          create_revision: 0,
          mod_revision: 0,
          version: 0,
          lease: 0n,
        },
      )
    }
    return o.done()
  }

  override grant(r: pb.LeaseGrantResponse): Output {
    return hdr(new Out(), r.header).line(`"ID" : ${r.ID}`).line(`"TTL" : ${r.TTL}`).done()
  }

  override revoke(_id: bigint, r: pb.LeaseRevokeResponse): Output {
    return headerOnly(r)
  }

  override keepAlive(r: pb.LeaseKeepAliveResponse): Output {
    return hdr(new Out(), r.header).line(`"ID" : ${r.ID}`).line(`"TTL" : ${r.TTL}`).done()
  }

  override timeToLive(r: pb.LeaseTimeToLiveResponse): Output {
    const o = hdr(new Out(), r.header)
      .line(`"ID" : ${r.ID}`)
      .line(`"TTL" : ${r.TTL}`)
      .line(`"GrantedTTL" : ${r.grantedTTL}`)
    for (const k of r.keys) o.line(`"Key" : ${quote(k)}`)
    return o.done()
  }

  override leases(r: pb.LeaseLeasesResponse): Output {
    const o = hdr(new Out(), r.header)
    for (const l of r.leases) o.line(`"ID" : ${l.ID}`)
    return o.done()
  }

  override memberList(r: pb.MemberListResponse): Output {
    const o = hdr(new Out(), r.header)
    for (const m of r.members) {
      o.line(`"ID" : ${m.ID}`)
      o.line(`"Name" : ${quote(m.name)}`)
      for (const u of m.peerURLs) o.line(`"PeerURL" : ${quote(u)}`)
      for (const u of m.clientURLs) o.line(`"ClientURL" : ${quote(u)}`)
      o.line(`"IsLearner" : ${m.isLearner}`)
      o.line()
    }
    return o.done()
  }

  override endpointHealth(list: EndpointHealth[]): Output {
    const o = new Out()
    for (const h of list) {
      o.line(`"Endpoint" : ${quote(h.endpoint)}`)
      o.line(`"Health" : ${h.health}`)
      o.line(`"Took" : ${h.took}`)
      o.line(`"Error" : ${h.error ?? ''}`)
      o.line()
    }
    return o.done()
  }

  override endpointStatus(list: EndpointStatus[]): Output {
    const o = new Out()
    for (const { endpoint, status: s } of list) {
      hdr(o, s.header)
      o.line(`"Version" : ${quote(s.version)}`)
      o.line(`"DBSize" : ${s.dbSize}`)
      o.line(`"Leader" : ${s.leader}`)
      o.line(`"IsLearner" : ${s.isLearner}`)
      o.line(`"RaftIndex" : ${s.raftIndex}`)
      o.line(`"RaftTerm" : ${s.raftTerm}`)
      o.line(`"RaftAppliedIndex" : ${s.raftAppliedIndex}`)
      o.line(`"Errors" : [${s.errors.join(' ')}]`)
      o.line(`"Endpoint" : ${quote(endpoint)}`)
      o.line()
    }
    return o.done()
  }

  override endpointHashKV(list: EndpointHashKV[]): Output {
    const o = new Out()
    for (const h of list) {
      hdr(o, h.hashKV.header)
      o.line(`"Endpoint" : ${quote(h.endpoint)}`)
      o.line(`"Hash" : ${h.hashKV.hash}`)
      o.line()
    }
    return o.done()
  }

  override alarm(r: pb.AlarmResponse): Output {
    const o = hdr(new Out(), r.header)
    for (const a of r.alarms) {
      o.line(`"MemberID" : ${a.memberID}`)
      o.line(`"AlarmType" : ${AlarmTypeNames[a.alarm] ?? a.alarm}`)
      o.line()
    }
    return o.done()
  }

  override dbStatus(s: SnapshotStatus): Output {
    return new Out()
      .line(`"Hash" : ${s.hash}`)
      .line(`"Revision" : ${s.revision}`)
      .line(`"Keys" : ${s.totalKey}`)
      .line(`"Size" : ${s.totalSize}`)
      .done()
  }

  override roleAdd(_role: string, r: pb.AuthRoleAddResponse): Output {
    return headerOnly(r)
  }

  override roleGet(_role: string, r: pb.AuthRoleGetResponse): Output {
    const o = hdr(new Out(), r.header)
    for (const p of r.perm) {
      o.line(`"PermType" :  ${Permission_TypeNames[p.permType] ?? p.permType}`)
      o.line(`"Key" : ${quote(p.key)}`)
      o.line(`"RangeEnd" : ${quote(p.range_end)}`)
    }
    return o.done()
  }

  override roleDelete(_role: string, r: pb.AuthRoleDeleteResponse): Output {
    return headerOnly(r)
  }

  override roleList(r: pb.AuthRoleListResponse): Output {
    const o = hdr(new Out(), r.header).print('"Roles" :')
    for (const role of r.roles) o.print(' ' + quote(role))
    return o.line().done()
  }

  override roleGrantPermission(_role: string, r: pb.AuthRoleGrantPermissionResponse): Output {
    return headerOnly(r)
  }
  override roleRevokePermission(
    _role: string,
    _key: string,
    _end: string,
    r: pb.AuthRoleRevokePermissionResponse,
  ): Output {
    return headerOnly(r)
  }
  override userAdd(_user: string, r: pb.AuthUserAddResponse): Output {
    return headerOnly(r)
  }
  override userChangePassword(r: pb.AuthUserChangePasswordResponse): Output {
    return headerOnly(r)
  }
  override userGrantRole(_user: string, _role: string, r: pb.AuthUserGrantRoleResponse): Output {
    return headerOnly(r)
  }
  override userRevokeRole(_user: string, _role: string, r: pb.AuthUserRevokeRoleResponse): Output {
    return headerOnly(r)
  }
  override userDelete(_user: string, r: pb.AuthUserDeleteResponse): Output {
    return headerOnly(r)
  }
}
