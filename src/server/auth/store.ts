/**
 * The auth store (etcd's auth/store.go): whether authentication is on, the auth revision,
 * users and roles. Changed only by applying requests that went through raft, so every member
 * holds the same store; read back from the backend when the member starts and after a
 * snapshot is installed.
 *
 * Records live in the backend's auth bucket (0x04) in etcd's layout, each under its etcd
 * bucket name and a 0x00 separator, so that they map one to one onto an etcd backend:
 *   auth\0authEnabled    [1] or [0]
 *   auth\0authRevision   8 bytes, big-endian
 *   authUsers\0<name>    authpb.User (password: a bcrypt hash)
 *   authRoles\0<name>    authpb.Role (permissions sorted by key)
 */
import { Errors } from '../../errors/rpctypes.js'
import {
  decodeRole,
  decodeUser,
  encodeRole,
  encodeUser,
  type Permission,
  type Role,
  type User,
} from '../../gen/authpb.js'
import type {
  AuthRoleGetResponseInit,
  AuthRoleGrantPermissionRequest,
  AuthRoleRevokePermissionRequest,
  AuthUserGetResponseInit,
  AuthUserGrantRoleRequest,
  AuthUserRevokeRoleRequest,
} from '../../gen/etcdserverpb.js'
import type { UserAddRequest, UserChangePasswordRequest } from '../../gen/tsetcdpb.js'
import type { Backend, BackendWriteBatch } from '../backend/backend.js'
import { Bucket, authRecordKey, bucketBounds } from '../backend/buckets.js'
import { RangePermissions } from './perms.js'

export const ROOT_USER = 'root'
export const ROOT_ROLE = 'root'

/** Who a request runs as: the user and the auth revision its credentials were checked at (0: none). */
export interface AuthInfo {
  username: string
  revision: number
}

const recordKey = authRecordKey
const ENABLED_KEY = recordKey('auth', 'authEnabled')
const REVISION_KEY = recordKey('auth', 'authRevision')
const USERS = 'authUsers'
const ROLES = 'authRoles'

const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Told after an applied change: the users whose tokens must go (password changed, user deleted). */
export type InvalidateListener = (user: string) => void

export class AuthStore {
  private enabled = false
  private rev = 0
  private readonly users = new Map<string, User>()
  private readonly roles = new Map<string, Role>()
  private perms = new Map<string, RangePermissions>()
  private readonly invalidateListeners: InvalidateListener[] = []
  private readonly enableListeners: ((enabled: boolean) => void)[] = []

  private constructor() {}

  static async open(backend: Backend): Promise<AuthStore> {
    const s = new AuthStore()
    await s.reload(backend)
    return s
  }

  /** Reads the store again from `backend` (after a snapshot replaced the database). */
  async reload(backend: Backend): Promise<void> {
    const [gte, lt] = bucketBounds(Bucket.Auth)
    let enabled = false
    let rev = 0
    this.users.clear()
    this.roles.clear()
    for await (const chunk of backend.iterate(gte, lt))
      for (const [k, v] of chunk) {
        if (k.equals(ENABLED_KEY)) enabled = v.length === 1 && v[0] === 1
        else if (k.equals(REVISION_KEY)) rev = Number(v.readBigUInt64BE(0))
        else if (startsWith(k, USERS)) {
          const u = decodeUser(v)
          this.users.set(u.name.toString(), u)
        } else if (startsWith(k, ROLES)) {
          const r = decodeRole(v)
          this.roles.set(r.name.toString(), r)
        }
      }
    // etcd writes revision 1 when it creates the auth buckets; an empty store is at 1 too.
    this.rev = rev === 0 ? 1 : rev
    this.refreshPerms()
    if (this.enabled !== enabled) {
      this.enabled = enabled
      for (const l of this.enableListeners) l(enabled)
    }
  }

  onInvalidate(l: InvalidateListener): void {
    this.invalidateListeners.push(l)
  }

  onEnable(l: (enabled: boolean) => void): void {
    this.enableListeners.push(l)
  }

  get isEnabled(): boolean {
    return this.enabled
  }

  get revision(): number {
    return this.rev
  }

  user(name: string): User | undefined {
    return this.users.get(name)
  }

  hasRole(user: string, role: string): boolean {
    return this.users.get(user)?.roles.includes(role) ?? false
  }

  // ---- checks (etcd's isOpPermitted, IsAdminPermitted) ----

  private isOpPermitted(ai: AuthInfo | undefined, write: boolean, key: Uint8Array, rangeEnd?: Uint8Array): void {
    if (!this.enabled) return
    if (ai === undefined || ai.revision === 0) throw Errors.UserEmpty
    if (ai.revision < this.rev) throw Errors.AuthOldRevision
    const u = this.users.get(ai.username)
    if (u === undefined) throw Errors.PermissionDenied
    if (hasRootRole(u)) return
    if (this.perms.get(ai.username)?.permits(write, key, rangeEnd)) return
    throw Errors.PermissionDenied
  }

  checkRange(ai: AuthInfo | undefined, key: Uint8Array, rangeEnd?: Uint8Array): void {
    this.isOpPermitted(ai, false, key, rangeEnd)
  }

  checkPut(ai: AuthInfo | undefined, key: Uint8Array): void {
    this.isOpPermitted(ai, true, key)
  }

  checkDeleteRange(ai: AuthInfo | undefined, key: Uint8Array, rangeEnd?: Uint8Array): void {
    this.isOpPermitted(ai, true, key, rangeEnd)
  }

  checkAdmin(ai: AuthInfo | undefined): void {
    if (!this.enabled) return
    if (ai === undefined || ai.username === '') throw Errors.UserEmpty
    const u = this.users.get(ai.username)
    if (u === undefined) throw Errors.UserNotFound
    if (!hasRootRole(u)) throw Errors.PermissionDenied
  }

  /**
   * The stored hash of `name`'s password and the revision it was read at, for the proposer to
   * check a password against (etcd's CheckPassword, before the bcrypt comparison).
   */
  passwordOf(name: string): { hash: string; revision: number } {
    if (!this.enabled) throw Errors.AuthNotEnabled
    const u = this.users.get(name)
    if (u === undefined) throw Errors.AuthFailed
    if (u.options?.no_password) throw Errors.NoPasswordUser
    return { hash: u.password.toString(), revision: this.rev }
  }

  // ---- applied changes ----

  private commitRevision(wb: BackendWriteBatch): void {
    this.rev++
    const b = Buffer.alloc(8)
    b.writeBigUInt64BE(BigInt(this.rev))
    wb.put(REVISION_KEY, b)
  }

  private putUser(wb: BackendWriteBatch, u: User): void {
    this.users.set(u.name.toString(), u)
    wb.put(recordKey(USERS, u.name), encodeUser(u))
  }

  private putRole(wb: BackendWriteBatch, r: Role): void {
    this.roles.set(r.name.toString(), r)
    wb.put(recordKey(ROLES, r.name), encodeRole(r))
  }

  private changed(wb: BackendWriteBatch): void {
    this.commitRevision(wb)
    this.refreshPerms()
  }

  private refreshPerms(): void {
    const perms = new Map<string, RangePermissions>()
    for (const [name, u] of this.users) {
      const all: Permission[] = []
      for (const r of u.roles) all.push(...(this.roles.get(r)?.keyPermission ?? []))
      perms.set(name, new RangePermissions(all))
    }
    this.perms = perms
  }

  authEnable(wb: BackendWriteBatch): void {
    if (this.enabled) return
    const root = this.users.get(ROOT_USER)
    if (root === undefined) throw Errors.RootUserNotExist
    if (!hasRootRole(root)) throw Errors.RootRoleNotExist
    wb.put(ENABLED_KEY, Buffer.from([1]))
    this.enabled = true
    for (const l of this.enableListeners) l(true)
  }

  authDisable(wb: BackendWriteBatch): void {
    if (!this.enabled) return
    wb.put(ENABLED_KEY, Buffer.from([0]))
    this.commitRevision(wb)
    this.enabled = false
    for (const l of this.enableListeners) l(false)
  }

  /** The user a token may be given to (etcd's Authenticate at apply). */
  checkAuthenticate(name: string): void {
    if (!this.enabled) throw Errors.AuthNotEnabled
    const u = this.users.get(name)
    if (u === undefined || u.options?.no_password) throw Errors.AuthFailed
  }

  userAdd(wb: BackendWriteBatch, r: UserAddRequest): void {
    if (r.name === '') throw Errors.UserEmpty
    if (this.users.has(r.name)) throw Errors.UserAlreadyExist
    const noPassword = r.options?.no_password === true
    this.putUser(wb, {
      name: Buffer.from(r.name),
      password: noPassword ? Buffer.alloc(0) : Buffer.from(r.hashed_password),
      roles: [],
      options: { no_password: noPassword },
    })
    this.changed(wb)
  }

  userDelete(wb: BackendWriteBatch, name: string): void {
    if (this.enabled && name === ROOT_USER) throw Errors.InvalidAuthMgmt
    if (!this.users.has(name)) throw Errors.UserNotFound
    this.users.delete(name)
    wb.del(recordKey(USERS, name))
    this.changed(wb)
    for (const l of this.invalidateListeners) l(name)
  }

  userChangePassword(wb: BackendWriteBatch, r: UserChangePasswordRequest): void {
    const u = this.users.get(r.name)
    if (u === undefined) throw Errors.UserNotFound
    this.putUser(wb, { ...u, password: Buffer.from(r.hashed_password) })
    this.changed(wb)
    for (const l of this.invalidateListeners) l(r.name)
  }

  userGrantRole(wb: BackendWriteBatch, r: AuthUserGrantRoleRequest): void {
    const u = this.users.get(r.user)
    if (u === undefined) throw Errors.UserNotFound
    if (r.role !== ROOT_ROLE && !this.roles.has(r.role)) throw Errors.RoleNotFound
    if (u.roles.includes(r.role)) return
    this.putUser(wb, { ...u, roles: [...u.roles, r.role].sort(cmpStr) })
    this.changed(wb)
  }

  userGet(name: string): AuthUserGetResponseInit {
    const u = this.users.get(name)
    if (u === undefined) throw Errors.UserNotFound
    return { roles: [...u.roles] }
  }

  userList(): string[] {
    return [...this.users.keys()].sort(cmpStr)
  }

  userRevokeRole(wb: BackendWriteBatch, r: AuthUserRevokeRoleRequest): void {
    if (this.enabled && r.name === ROOT_USER && r.role === ROOT_ROLE) throw Errors.InvalidAuthMgmt
    const u = this.users.get(r.name)
    if (u === undefined) throw Errors.UserNotFound
    const roles = u.roles.filter((x) => x !== r.role)
    if (roles.length === u.roles.length) throw Errors.RoleNotGranted
    this.putUser(wb, { ...u, roles })
    this.changed(wb)
  }

  roleAdd(wb: BackendWriteBatch, name: string): void {
    if (name === '') throw Errors.RoleEmpty
    if (this.roles.has(name)) throw Errors.RoleAlreadyExist
    this.putRole(wb, { name: Buffer.from(name), keyPermission: [] })
    this.commitRevision(wb)
  }

  roleGet(name: string): AuthRoleGetResponseInit {
    const r = this.roles.get(name)
    if (r === undefined) throw Errors.RoleNotFound
    return { perm: r.keyPermission.map((p) => ({ ...p })) }
  }

  roleList(): string[] {
    return [...this.roles.keys()].sort(cmpStr)
  }

  roleDelete(wb: BackendWriteBatch, name: string): void {
    if (this.enabled && name === ROOT_ROLE) throw Errors.InvalidAuthMgmt
    if (!this.roles.has(name)) throw Errors.RoleNotFound
    this.roles.delete(name)
    wb.del(recordKey(ROLES, name))
    for (const u of [...this.users.values()]) {
      if (u.roles.includes(name)) this.putUser(wb, { ...u, roles: u.roles.filter((x) => x !== name) })
    }
    this.changed(wb)
  }

  roleGrantPermission(wb: BackendWriteBatch, r: AuthRoleGrantPermissionRequest): void {
    const role = this.roles.get(r.name)
    if (role === undefined) throw Errors.RoleNotFound
    const p = r.perm ?? { permType: 0, key: Buffer.alloc(0), range_end: Buffer.alloc(0) }
    const perms = role.keyPermission.map((x) => ({ ...x }))
    const same = perms.find((x) => x.key.equals(p.key) && x.range_end.equals(p.range_end))
    if (same) same.permType = p.permType
    else {
      perms.push({ permType: p.permType, key: Buffer.from(p.key), range_end: Buffer.from(p.range_end) })
      perms.sort((a, b) => Buffer.compare(a.key, b.key))
    }
    this.putRole(wb, { name: role.name, keyPermission: perms })
    this.changed(wb)
  }

  roleRevokePermission(wb: BackendWriteBatch, r: AuthRoleRevokePermissionRequest): void {
    const role = this.roles.get(r.role)
    if (role === undefined) throw Errors.RoleNotFound
    const perms = role.keyPermission.filter((x) => !(x.key.equals(r.key) && x.range_end.equals(r.range_end)))
    if (perms.length === role.keyPermission.length) throw Errors.PermissionNotGranted
    this.putRole(wb, { name: role.name, keyPermission: perms })
    this.changed(wb)
  }
}

function startsWith(k: Buffer, bucket: string): boolean {
  const n = bucket.length
  return k.length > n + 1 && k.subarray(1, 1 + n).toString() === bucket && k[1 + n] === 0
}

function hasRootRole(u: User): boolean {
  return u.roles.includes(ROOT_ROLE)
}
