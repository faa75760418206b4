// -w json (printer_json.go): encoding/json of what etcdctl hands its printer,
// one line per call. Most results are the gogoproto response structs; the
// lease results are clientv3 wrappers whose *ResponseHeader is embedded (its
// fields promoted to the top level) and whose own fields have other names.
import * as pb from '../gen/etcdserverpb.js'
import { EventFields } from '../gen/mvccpb.js'
import type { FieldInfo } from '../proto/wire.js'
import { UnsupportedPrinter, rejectValueOnly } from './unsupported.js'
import { goJson, jsonObject, jsonString, jsonBytes, member, messageMembers } from './go-json.js'
import { stdout, type Output } from './out.js'
import type { EndpointHashKV, EndpointHealth, EndpointStatus, SnapshotStatus } from './rows.js'

function line(json: string): Output {
  return stdout(json + '\n')
}

function msg(m: object, fields: FieldInfo[]): Output {
  return line(goJson(m, fields))
}

function headerMembers(h: pb.ResponseHeader | undefined): string[] {
  return h === undefined ? [] : messageMembers(h, pb.ResponseHeaderFields)
}

export class JsonPrinter extends UnsupportedPrinter {
  constructor() {
    super('json')
  }

  override del(r: pb.DeleteRangeResponse): Output {
    return msg(r, pb.DeleteRangeResponseFields)
  }
  override get(r: pb.RangeResponse, opts?: { valueOnly?: boolean }): Output {
    rejectValueOnly(opts)
    return msg(r, pb.RangeResponseFields)
  }
  override put(r: pb.PutResponse): Output {
    return msg(r, pb.PutResponseFields)
  }
  override txn(r: pb.TxnResponse): Output {
    return msg(r, pb.TxnResponseFields)
  }

  override watch(r: pb.WatchResponse): Output {
    const events = r.header === undefined ? 'null' : '[' + r.events.map((e) => goJson(e, EventFields)).join(',') + ']'
    return line(
      jsonObject([
        member('Header', goJson(r.header ?? {}, pb.ResponseHeaderFields)),
        member('Events', events),
        member('CompactRevision', String(r.compact_revision)),
        member('Canceled', String(r.canceled)),
        member('Created', String(r.created)),
      ]),
    )
  }

  override grant(r: pb.LeaseGrantResponse): Output {
    return line(
      jsonObject([
        ...headerMembers(r.header),
        member('ID', String(r.ID)),
        member('TTL', String(r.TTL)),
        member('Error', jsonString(r.error)),
      ]),
    )
  }

  override revoke(_id: bigint, r: pb.LeaseRevokeResponse): Output {
    return msg(r, pb.LeaseRevokeResponseFields)
  }

  override keepAlive(r: pb.LeaseKeepAliveResponse): Output {
    return line(jsonObject([...headerMembers(r.header), member('ID', String(r.ID)), member('TTL', String(r.TTL))]))
  }

  override timeToLive(r: pb.LeaseTimeToLiveResponse): Output {
    const keys = r.keys.length === 0 ? 'null' : '[' + r.keys.map(jsonBytes).join(',') + ']'
    return line(
      jsonObject([
        ...headerMembers(r.header),
        member('id', String(r.ID)),
        member('ttl', String(r.TTL)),
        member('granted-ttl', String(r.grantedTTL)),
        member('keys', keys),
      ]),
    )
  }

  override leases(r: pb.LeaseLeasesResponse): Output {
    const leases = '[' + r.leases.map((l) => jsonObject([member('id', String(l.ID))])).join(',') + ']'
    return line(jsonObject([...headerMembers(r.header), member('leases', leases)]))
  }

  override memberAdd(r: pb.MemberAddResponse): Output {
    return msg(r, pb.MemberAddResponseFields)
  }
  override memberRemove(_id: bigint, r: pb.MemberRemoveResponse): Output {
    return msg(r, pb.MemberRemoveResponseFields)
  }
  override memberUpdate(_id: bigint, r: pb.MemberUpdateResponse): Output {
    return msg(r, pb.MemberUpdateResponseFields)
  }
  override memberList(r: pb.MemberListResponse): Output {
    return msg(r, pb.MemberListResponseFields)
  }

  override endpointHealth(list: EndpointHealth[]): Output {
    return line(
      '[' +
        list
          .map((h) =>
            jsonObject([
              member('endpoint', jsonString(h.endpoint)),
              member('health', String(h.health)),
              member('took', jsonString(h.took)),
              ...(h.error ? [member('error', jsonString(h.error))] : []),
            ]),
          )
          .join(',') +
        ']',
    )
  }

  override endpointStatus(list: EndpointStatus[]): Output {
    return line(
      '[' +
        list
          .map((s) =>
            jsonObject([
              member('Endpoint', jsonString(s.endpoint)),
              member('Status', goJson(s.status, pb.StatusResponseFields)),
            ]),
          )
          .join(',') +
        ']',
    )
  }

  override endpointHashKV(list: EndpointHashKV[]): Output {
    return line(
      '[' +
        list
          .map((h) =>
            jsonObject([
              member('Endpoint', jsonString(h.endpoint)),
              member('HashKV', goJson(h.hashKV, pb.HashKVResponseFields)),
            ]),
          )
          .join(',') +
        ']',
    )
  }

  override moveLeader(_l: bigint, _t: bigint, r: pb.MoveLeaderResponse): Output {
    return msg(r, pb.MoveLeaderResponseFields)
  }
  override alarm(r: pb.AlarmResponse): Output {
    return msg(r, pb.AlarmResponseFields)
  }

  override dbStatus(s: SnapshotStatus): Output {
    return line(
      jsonObject([
        member('hash', String(s.hash)),
        member('revision', String(s.revision)),
        member('totalKey', String(s.totalKey)),
        member('totalSize', String(s.totalSize)),
      ]),
    )
  }

  override roleAdd(_role: string, r: pb.AuthRoleAddResponse): Output {
    return msg(r, pb.AuthRoleAddResponseFields)
  }
  override roleGet(_role: string, r: pb.AuthRoleGetResponse): Output {
    return msg(r, pb.AuthRoleGetResponseFields)
  }
  override roleDelete(_role: string, r: pb.AuthRoleDeleteResponse): Output {
    return msg(r, pb.AuthRoleDeleteResponseFields)
  }
  override roleList(r: pb.AuthRoleListResponse): Output {
    return msg(r, pb.AuthRoleListResponseFields)
  }
  override roleGrantPermission(_role: string, r: pb.AuthRoleGrantPermissionResponse): Output {
    return msg(r, pb.AuthRoleGrantPermissionResponseFields)
  }
  override roleRevokePermission(
    _role: string,
    _key: string,
    _end: string,
    r: pb.AuthRoleRevokePermissionResponse,
  ): Output {
    return msg(r, pb.AuthRoleRevokePermissionResponseFields)
  }
  override userAdd(_user: string, r: pb.AuthUserAddResponse): Output {
    return msg(r, pb.AuthUserAddResponseFields)
  }
  override userGet(_user: string, r: pb.AuthUserGetResponse): Output {
    return msg(r, pb.AuthUserGetResponseFields)
  }
  override userList(r: pb.AuthUserListResponse): Output {
    return msg(r, pb.AuthUserListResponseFields)
  }
  override userChangePassword(r: pb.AuthUserChangePasswordResponse): Output {
    return msg(r, pb.AuthUserChangePasswordResponseFields)
  }
  override userGrantRole(_user: string, _role: string, r: pb.AuthUserGrantRoleResponse): Output {
    return msg(r, pb.AuthUserGrantRoleResponseFields)
  }
  override userRevokeRole(_user: string, _role: string, r: pb.AuthUserRevokeRoleResponse): Output {
    return msg(r, pb.AuthUserRevokeRoleResponseFields)
  }
  override userDelete(_user: string, r: pb.AuthUserDeleteResponse): Output {
    return msg(r, pb.AuthUserDeleteResponseFields)
  }
}
