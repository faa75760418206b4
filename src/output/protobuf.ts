// -w protobuf (printer_protobuf.go): the response's wire bytes, no newline.
// The lease results etcdctl prints are clientv3 wrappers that only inherit
// Marshal from their embedded *ResponseHeader, so only the header is written;
// LeaseRevokeResponse has no Marshal at all and is refused.
import * as pb from '../gen/etcdserverpb.js'
import { UnsupportedPrinter, rejectValueOnly } from './unsupported.js'
import { stdout, type Output } from './out.js'
import { ExitCode, exitWithError, nilPointerPanic } from './exit-error.js'
import { compactText } from './proto-text.js'

/** (*ResponseHeader).Marshal, which dereferences a nil header. */
function header(h: pb.ResponseHeader | undefined): Output {
  if (h === undefined) throw nilPointerPanic()
  return stdout(pb.encodeResponseHeader(h))
}

export class ProtobufPrinter extends UnsupportedPrinter {
  constructor() {
    super('protobuf')
  }

  override del(r: pb.DeleteRangeResponse): Output {
    return stdout(pb.encodeDeleteRangeResponse(r))
  }
  override get(r: pb.RangeResponse, opts?: { valueOnly?: boolean }): Output {
    rejectValueOnly(opts)
    return stdout(pb.encodeRangeResponse(r))
  }
  override put(r: pb.PutResponse): Output {
    return stdout(pb.encodePutResponse(r))
  }
  override txn(r: pb.TxnResponse): Output {
    return stdout(pb.encodeTxnResponse(r))
  }

  override watch(r: pb.WatchResponse): Output {
    return stdout(
      pb.encodeWatchResponse({
        header: r.header ?? {},
        events: r.events,
        compact_revision: r.compact_revision,
        canceled: r.canceled,
        created: r.created,
      }),
    )
  }

  override grant(r: pb.LeaseGrantResponse): Output {
    return header(r.header)
  }

  override revoke(_id: bigint, r: pb.LeaseRevokeResponse): Output {
    const h = r.header === undefined ? '<nil>' : compactText(r.header, pb.ResponseHeaderFields)
    throw exitWithError(ExitCode.BadFeature, `marshal unsupported for type clientv3.LeaseRevokeResponse ({${h}})`)
  }

  override keepAlive(r: pb.LeaseKeepAliveResponse): Output {
    return header(r.header)
  }
  override timeToLive(r: pb.LeaseTimeToLiveResponse): Output {
    return header(r.header)
  }
  override leases(r: pb.LeaseLeasesResponse): Output {
    return header(r.header)
  }

  override memberAdd(r: pb.MemberAddResponse): Output {
    return stdout(pb.encodeMemberAddResponse(r))
  }
  override memberRemove(_id: bigint, r: pb.MemberRemoveResponse): Output {
    return stdout(pb.encodeMemberRemoveResponse(r))
  }
  override memberUpdate(_id: bigint, r: pb.MemberUpdateResponse): Output {
    return stdout(pb.encodeMemberUpdateResponse(r))
  }
  override memberList(r: pb.MemberListResponse): Output {
    return stdout(pb.encodeMemberListResponse(r))
  }
  override moveLeader(_l: bigint, _t: bigint, r: pb.MoveLeaderResponse): Output {
    return stdout(pb.encodeMoveLeaderResponse(r))
  }
  override alarm(r: pb.AlarmResponse): Output {
    return stdout(pb.encodeAlarmResponse(r))
  }

  override roleAdd(_role: string, r: pb.AuthRoleAddResponse): Output {
    return stdout(pb.encodeAuthRoleAddResponse(r))
  }
  override roleGet(_role: string, r: pb.AuthRoleGetResponse): Output {
    return stdout(pb.encodeAuthRoleGetResponse(r))
  }
  override roleDelete(_role: string, r: pb.AuthRoleDeleteResponse): Output {
    return stdout(pb.encodeAuthRoleDeleteResponse(r))
  }
  override roleList(r: pb.AuthRoleListResponse): Output {
    return stdout(pb.encodeAuthRoleListResponse(r))
  }
  override roleGrantPermission(_role: string, r: pb.AuthRoleGrantPermissionResponse): Output {
    return stdout(pb.encodeAuthRoleGrantPermissionResponse(r))
  }
  override roleRevokePermission(
    _role: string,
    _key: string,
    _end: string,
    r: pb.AuthRoleRevokePermissionResponse,
  ): Output {
    return stdout(pb.encodeAuthRoleRevokePermissionResponse(r))
  }
  override userAdd(_user: string, r: pb.AuthUserAddResponse): Output {
    return stdout(pb.encodeAuthUserAddResponse(r))
  }
  override userGet(_user: string, r: pb.AuthUserGetResponse): Output {
    return stdout(pb.encodeAuthUserGetResponse(r))
  }
  override userList(r: pb.AuthUserListResponse): Output {
    return stdout(pb.encodeAuthUserListResponse(r))
  }
  override userChangePassword(r: pb.AuthUserChangePasswordResponse): Output {
    return stdout(pb.encodeAuthUserChangePasswordResponse(r))
  }
  override userGrantRole(_user: string, _role: string, r: pb.AuthUserGrantRoleResponse): Output {
    return stdout(pb.encodeAuthUserGrantRoleResponse(r))
  }
  override userRevokeRole(_user: string, _role: string, r: pb.AuthUserRevokeRoleResponse): Output {
    return stdout(pb.encodeAuthUserRevokeRoleResponse(r))
  }
  override userDelete(_user: string, r: pb.AuthUserDeleteResponse): Output {
    return stdout(pb.encodeAuthUserDeleteResponse(r))
  }
}
