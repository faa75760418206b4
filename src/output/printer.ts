// etcdctl's printer interface (ctlv3/command/printer.go): one method per
// command result, each returning exactly the bytes etcdctl writes, or
// throwing EtcdctlExit where etcdctl fails (e.g. "table not supported as
// output format", exit 4).
import type {
  AlarmResponse,
  AuthRoleAddResponse,
  AuthRoleDeleteResponse,
  AuthRoleGetResponse,
  AuthRoleGrantPermissionResponse,
  AuthRoleListResponse,
  AuthRoleRevokePermissionResponse,
  AuthUserAddResponse,
  AuthUserChangePasswordResponse,
  AuthUserDeleteResponse,
  AuthUserGetResponse,
  AuthUserGrantRoleResponse,
  AuthUserListResponse,
  AuthUserRevokeRoleResponse,
  DeleteRangeResponse,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseRevokeResponse,
  LeaseTimeToLiveResponse,
  MemberAddResponse,
  MemberListResponse,
  MemberPromoteResponse,
  MemberRemoveResponse,
  MemberUpdateResponse,
  MoveLeaderResponse,
  PutResponse,
  RangeResponse,
  TxnResponse,
  WatchResponse,
} from '../gen/etcdserverpb.js'
import type { Output } from './out.js'
import type { EndpointHashKV, EndpointHealth, EndpointStatus, SnapshotStatus } from './rows.js'
import { SimplePrinter } from './simple.js'
import { JsonPrinter } from './json.js'
import { FieldsPrinter } from './fields.js'
import { TablePrinter } from './table.js'
import { ProtobufPrinter } from './protobuf.js'
import { ExitCode, exitWithError } from './exit-error.js'

export type { Output } from './out.js'
export type { EndpointHashKV, EndpointHealth, EndpointStatus, SnapshotStatus } from './rows.js'

export const OUTPUT_FORMATS = ['simple', 'json', 'fields', 'table', 'protobuf'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

export interface Printer {
  del(r: DeleteRangeResponse): Output
  /** valueOnly is `get --print-value-only`, which only the simple format accepts. */
  get(r: RangeResponse, opts?: { valueOnly?: boolean }): Output
  put(r: PutResponse): Output
  txn(r: TxnResponse): Output
  /** A response without header stands for the client-side "watch closed" response (no events). */
  watch(r: WatchResponse): Output

  grant(r: LeaseGrantResponse): Output
  revoke(id: bigint, r: LeaseRevokeResponse): Output
  keepAlive(r: LeaseKeepAliveResponse): Output
  timeToLive(r: LeaseTimeToLiveResponse, keys: boolean): Output
  leases(r: LeaseLeasesResponse): Output

  /** newMemberName and peerURLs (the --peer-urls text as given) feed the ETCD_* lines of the simple format. */
  memberAdd(r: MemberAddResponse, newMemberName: string, peerURLs: string): Output
  memberRemove(id: bigint, r: MemberRemoveResponse): Output
  memberUpdate(id: bigint, r: MemberUpdateResponse): Output
  memberPromote(id: bigint, r: MemberPromoteResponse): Output
  memberList(r: MemberListResponse): Output

  endpointHealth(list: EndpointHealth[]): Output
  endpointStatus(list: EndpointStatus[]): Output
  endpointHashKV(list: EndpointHashKV[]): Output
  moveLeader(leader: bigint, target: bigint, r: MoveLeaderResponse): Output

  alarm(r: AlarmResponse): Output
  dbStatus(s: SnapshotStatus): Output

  roleAdd(role: string, r: AuthRoleAddResponse): Output
  roleGet(role: string, r: AuthRoleGetResponse): Output
  roleDelete(role: string, r: AuthRoleDeleteResponse): Output
  roleList(r: AuthRoleListResponse): Output
  roleGrantPermission(role: string, r: AuthRoleGrantPermissionResponse): Output
  /** end is the range end as given on the command line ("" for a single key, "\x00" for open ended). */
  roleRevokePermission(role: string, key: string, end: string, r: AuthRoleRevokePermissionResponse): Output

  userAdd(user: string, r: AuthUserAddResponse): Output
  userGet(user: string, r: AuthUserGetResponse): Output
  userList(r: AuthUserListResponse): Output
  userChangePassword(r: AuthUserChangePasswordResponse): Output
  userGrantRole(user: string, role: string, r: AuthUserGrantRoleResponse): Output
  userRevokeRole(user: string, role: string, r: AuthUserRevokeRoleResponse): Output
  userDelete(user: string, r: AuthUserDeleteResponse): Output
}

/**
 * etcdctl's NewPrinter plus initDisplayFromCmd: the printer for `-w <format>`;
 * an unknown format fails with "unsupported output format" (exit 4).
 * isHex (--hex) only affects keys and values in the simple format; colour (a terminal) only
 * the table format's health, leader and error cells.
 */
export function newPrinter(format: string, opts: { isHex?: boolean; colour?: boolean } = {}): Printer {
  switch (format) {
    case 'simple':
      return new SimplePrinter(opts.isHex ?? false)
    case 'json':
      return new JsonPrinter()
    case 'fields':
      return new FieldsPrinter()
    case 'table':
      return new TablePrinter(opts.colour ?? false)
    case 'protobuf':
      return new ProtobufPrinter()
    default:
      throw exitWithError(ExitCode.BadFeature, 'unsupported output format')
  }
}
