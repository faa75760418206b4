/**
 * The top of the apply stack (etcd's authApplierV3): applies the auth store's requests and,
 * while authentication is on, checks every request against the user and auth revision its
 * header names, on every member, so that a request authorized against an auth revision that
 * changed before it was applied is refused (etcdserver: revision of auth store is old).
 *
 * - user and role management and auth enable/disable need the root role;
 * - Put: write on the key, read too with prev_kv, write on every key of its lease;
 * - DeleteRange: write on the range, read too with prev_kv;
 * - Txn: read on every compare, and each op of both branches (nested txns included) as above;
 * - LeaseRevoke: write on every key attached to the lease.
 * Requests from clients always carry a header (an empty one when the call named nobody);
 * requests the member makes itself (lease expiry, auto-compaction, alarms) carry none.
 */
import type { RequestOp, TxnRequest } from '../../gen/etcdserverpb.js'
import type { InternalRequest } from '../../gen/tsetcdpb.js'
import type { AuthInfo, AuthStore } from '../auth/store.js'
import type { TokenProvider } from '../auth/tokens.js'
import { responseHeader } from '../mvcc/range.js'
import type { Applier } from './applier.js'

function needAdmin(r: InternalRequest): boolean {
  return (
    r.auth_enable !== undefined ||
    r.auth_disable !== undefined ||
    r.user_add !== undefined ||
    r.user_delete !== undefined ||
    r.user_change_password !== undefined ||
    r.user_grant_role !== undefined ||
    r.user_revoke_role !== undefined ||
    r.role_add !== undefined ||
    r.role_grant_permission !== undefined ||
    r.role_revoke_permission !== undefined ||
    r.role_delete !== undefined ||
    r.user_list !== undefined ||
    r.role_list !== undefined
  )
}

function checkOps(as: AuthStore, ai: AuthInfo | undefined, ops: readonly RequestOp[], leaseKeys: LeaseKeys): void {
  for (const op of ops) {
    if (op.request_range !== undefined) as.checkRange(ai, op.request_range.key, op.request_range.range_end)
    else if (op.request_put !== undefined) {
      as.checkPut(ai, op.request_put.key)
      checkLeasePuts(as, ai, op.request_put.lease, leaseKeys)
      if (op.request_put.prev_kv) as.checkRange(ai, op.request_put.key)
    } else if (op.request_delete_range !== undefined) {
      const d = op.request_delete_range
      if (d.prev_kv) as.checkRange(ai, d.key, d.range_end)
      as.checkDeleteRange(ai, d.key, d.range_end)
    } else if (op.request_txn !== undefined) checkTxnAuth(as, ai, op.request_txn, leaseKeys)
  }
}

/** Keys attached to a lease (undefined: no such lease). */
export type LeaseKeys = (id: bigint) => readonly Buffer[] | undefined

/** etcd's checkTxnAuth: read on every compare, then every op of both branches. */
export function checkTxnAuth(as: AuthStore, ai: AuthInfo | undefined, t: TxnRequest, leaseKeys: LeaseKeys): void {
  for (const c of t.compare) as.checkRange(ai, c.key, c.range_end)
  checkOps(as, ai, t.success, leaseKeys)
  checkOps(as, ai, t.failure, leaseKeys)
}

function checkLeasePuts(as: AuthStore, ai: AuthInfo | undefined, lease: bigint, leaseKeys: LeaseKeys): void {
  if (lease === 0n || !as.isEnabled) return
  for (const k of leaseKeys(lease) ?? []) as.checkPut(ai, k)
}

export function authApplier(as: AuthStore, tokens: TokenProvider, leaseKeys: LeaseKeys, next: Applier): Applier {
  return {
    apply(b, r, index) {
      const ai: AuthInfo | undefined =
        r.header === undefined ? undefined : { username: r.header.username, revision: Number(r.header.auth_revision) }
      if (needAdmin(r)) as.checkAdmin(ai)
      const wb = b.writeBatch
      const done = (extra: object = {}) => ({ res: { header: responseHeader(b.revision), ...extra } })
      if (r.auth_enable !== undefined) return (as.authEnable(wb), done())
      if (r.auth_disable !== undefined) return (as.authDisable(wb), done())
      if (r.authenticate !== undefined) {
        const name = r.authenticate.name
        as.checkAuthenticate(name)
        return done({ token: tokens.assign(name, as.revision, r.authenticate.simple_token, index ?? 0) })
      }
      if (r.user_add !== undefined) return (as.userAdd(wb, r.user_add), done())
      if (r.user_delete !== undefined) return (as.userDelete(wb, r.user_delete.name), done())
      if (r.user_change_password !== undefined) return (as.userChangePassword(wb, r.user_change_password), done())
      if (r.user_grant_role !== undefined) return (as.userGrantRole(wb, r.user_grant_role), done())
      if (r.user_revoke_role !== undefined) return (as.userRevokeRole(wb, r.user_revoke_role), done())
      if (r.user_get !== undefined) {
        // A user may look at itself without the root role.
        if (ai?.username !== r.user_get.name || !as.isEnabled) as.checkAdmin(ai)
        return done(as.userGet(r.user_get.name))
      }
      if (r.user_list !== undefined) return done({ users: as.userList() })
      if (r.role_add !== undefined) return (as.roleAdd(wb, r.role_add.name), done())
      if (r.role_delete !== undefined) return (as.roleDelete(wb, r.role_delete.role), done())
      if (r.role_grant_permission !== undefined) return (as.roleGrantPermission(wb, r.role_grant_permission), done())
      if (r.role_revoke_permission !== undefined) return (as.roleRevokePermission(wb, r.role_revoke_permission), done())
      if (r.role_get !== undefined) {
        // A user may look at a role it has without the root role.
        if (ai === undefined || !as.hasRole(ai.username, r.role_get.role)) as.checkAdmin(ai)
        return done(as.roleGet(r.role_get.role))
      }
      if (r.role_list !== undefined) return done({ roles: as.roleList() })
      // A request without a header is the member's own (lease expiry, compaction): not checked.
      if (as.isEnabled && r.header !== undefined) {
        if (r.put !== undefined) {
          as.checkPut(ai, r.put.key)
          checkLeasePuts(as, ai, r.put.lease, leaseKeys)
          if (r.put.prev_kv) as.checkRange(ai, r.put.key)
        } else if (r.delete_range !== undefined) {
          as.checkDeleteRange(ai, r.delete_range.key, r.delete_range.range_end)
          if (r.delete_range.prev_kv) as.checkRange(ai, r.delete_range.key, r.delete_range.range_end)
        } else if (r.txn !== undefined) checkTxnAuth(as, ai, r.txn, leaseKeys)
        else if (r.lease_revoke !== undefined) checkLeasePuts(as, ai, r.lease_revoke.ID, leaseKeys)
      }
      return next.apply(b, r, index)
    },
  }
}
