/**
 * etcdserverpb.Auth: authentication, users and roles. Every call reaches the core's auth
 * part with the call's context (its token or client certificate name).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js'
import type { CoreAuth } from '../etcdserver/core.js'
import type {
  AuthenticateRequest,
  AuthRoleAddRequest,
  AuthRoleDeleteRequest,
  AuthRoleGetRequest,
  AuthRoleGrantPermissionRequest,
  AuthRoleRevokePermissionRequest,
  AuthUserAddRequest,
  AuthUserChangePasswordRequest,
  AuthUserDeleteRequest,
  AuthUserGetRequest,
  AuthUserGrantRoleRequest,
  AuthUserRevokeRoleRequest,
} from '../../gen/etcdserverpb.js'
import { unary } from './unary.js'
import type { Limits } from './limits.js'

export function authService(core: CoreAuth, limits: Limits): UntypedServiceImplementation {
  return {
    AuthEnable: unary(limits, (_req: unknown, ctx) => core.authEnable(ctx), core),
    AuthDisable: unary(limits, (_req: unknown, ctx) => core.authDisable(ctx), core),
    AuthStatus: unary(limits, (_req: unknown, ctx) => core.authStatus(ctx), core),
    Authenticate: unary(limits, (req: AuthenticateRequest, ctx) => core.authenticate(req, ctx), core),
    UserAdd: unary(limits, (req: AuthUserAddRequest, ctx) => core.userAdd(req, ctx), core),
    UserGet: unary(limits, (req: AuthUserGetRequest, ctx) => core.userGet(req, ctx), core),
    UserList: unary(limits, (_req: unknown, ctx) => core.userList(ctx), core),
    UserDelete: unary(limits, (req: AuthUserDeleteRequest, ctx) => core.userDelete(req, ctx), core),
    UserChangePassword: unary(
      limits,
      (req: AuthUserChangePasswordRequest, ctx) => core.userChangePassword(req, ctx),
      core,
    ),
    UserGrantRole: unary(limits, (req: AuthUserGrantRoleRequest, ctx) => core.userGrantRole(req, ctx), core),
    UserRevokeRole: unary(limits, (req: AuthUserRevokeRoleRequest, ctx) => core.userRevokeRole(req, ctx), core),
    RoleAdd: unary(limits, (req: AuthRoleAddRequest, ctx) => core.roleAdd(req, ctx), core),
    RoleGet: unary(limits, (req: AuthRoleGetRequest, ctx) => core.roleGet(req, ctx), core),
    RoleList: unary(limits, (_req: unknown, ctx) => core.roleList(ctx), core),
    RoleDelete: unary(limits, (req: AuthRoleDeleteRequest, ctx) => core.roleDelete(req, ctx), core),
    RoleGrantPermission: unary(
      limits,
      (req: AuthRoleGrantPermissionRequest, ctx) => core.roleGrantPermission(req, ctx),
      core,
    ),
    RoleRevokePermission: unary(
      limits,
      (req: AuthRoleRevokePermissionRequest, ctx) => core.roleRevokePermission(req, ctx),
      core,
    ),
  }
}
