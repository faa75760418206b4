/**
 * etcd's Auth service with clientv3's calls, for the user, role and auth commands and for
 * programs. `timeoutMs` Infinity is etcdctl's context.TODO() (no deadline).
 */
import {
  AuthService,
  type AuthRoleAddResponse,
  type AuthRoleDeleteResponse,
  type AuthRoleGetResponse,
  type AuthRoleGrantPermissionResponse,
  type AuthRoleListResponse,
  type AuthRoleRevokePermissionResponse,
  type AuthUserAddResponse,
  type AuthUserChangePasswordResponse,
  type AuthUserDeleteResponse,
  type AuthUserGetResponse,
  type AuthUserGrantRoleResponse,
  type AuthUserListResponse,
  type AuthUserRevokeRoleResponse,
  type AuthEnableResponse,
  type AuthDisableResponse,
} from '../gen/etcdserverpb.js'
import { Errors } from '../errors/rpctypes.js'
import { ClientError, type EtcdClient } from './client.js'

const T = Infinity

export const userAdd = (
  c: EtcdClient,
  name: string,
  password: string,
  noPassword: boolean,
): Promise<AuthUserAddResponse> =>
  c.call(AuthService.UserAdd, { name, password, options: { no_password: noPassword } }, T)
export const userDelete = (c: EtcdClient, name: string): Promise<AuthUserDeleteResponse> =>
  c.call(AuthService.UserDelete, { name }, T)
export const userGet = (c: EtcdClient, name: string): Promise<AuthUserGetResponse> =>
  c.call(AuthService.UserGet, { name }, T, true)
export const userList = (c: EtcdClient): Promise<AuthUserListResponse> => c.call(AuthService.UserList, {}, T, true)
export const userChangePassword = (
  c: EtcdClient,
  name: string,
  password: string,
): Promise<AuthUserChangePasswordResponse> => c.call(AuthService.UserChangePassword, { name, password }, T)
export const userGrantRole = (
  c: EtcdClient,
  user: string,
  role: string,
  timeoutMs = T,
): Promise<AuthUserGrantRoleResponse> => c.call(AuthService.UserGrantRole, { user, role }, timeoutMs)
export const userRevokeRole = (c: EtcdClient, name: string, role: string): Promise<AuthUserRevokeRoleResponse> =>
  c.call(AuthService.UserRevokeRole, { name, role }, T)
export const roleAdd = (c: EtcdClient, name: string, timeoutMs = T): Promise<AuthRoleAddResponse> =>
  c.call(AuthService.RoleAdd, { name }, timeoutMs)
export const roleDelete = (c: EtcdClient, role: string): Promise<AuthRoleDeleteResponse> =>
  c.call(AuthService.RoleDelete, { role }, T)
export const roleGet = (c: EtcdClient, role: string): Promise<AuthRoleGetResponse> =>
  c.call(AuthService.RoleGet, { role }, T, true)
export const roleList = (c: EtcdClient): Promise<AuthRoleListResponse> => c.call(AuthService.RoleList, {}, T, true)
export const roleGrantPermission = (
  c: EtcdClient,
  name: string,
  key: Buffer,
  rangeEnd: Buffer,
  permType: number,
): Promise<AuthRoleGrantPermissionResponse> =>
  c.call(AuthService.RoleGrantPermission, { name, perm: { permType, key, range_end: rangeEnd } }, T)
export const roleRevokePermission = (
  c: EtcdClient,
  role: string,
  key: Buffer,
  rangeEnd: Buffer,
): Promise<AuthRoleRevokePermissionResponse> =>
  c.call(AuthService.RoleRevokePermission, { role, key, range_end: rangeEnd }, T)
export const authDisable = (c: EtcdClient, timeoutMs: number): Promise<AuthDisableResponse> =>
  c.call(AuthService.AuthDisable, {}, timeoutMs)

/**
 * etcdctl's `auth enable`: enables auth; when the root user lacks the root role, adds the role
 * and grants it, then tries again. All within one deadline.
 */
export async function authEnable(c: EtcdClient, timeoutMs: number): Promise<AuthEnableResponse> {
  const deadline = Date.now() + timeoutMs
  const left = (): number => Math.max(0, deadline - Date.now())
  for (;;) {
    try {
      return await c.call(AuthService.AuthEnable, {}, left())
    } catch (err) {
      if (!(err instanceof ClientError) || err.message !== Errors.RootRoleNotExist.message) throw err
    }
    await roleAdd(c, 'root', left())
    await userGrantRole(c, 'root', 'root', left())
  }
}
