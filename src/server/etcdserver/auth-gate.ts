/**
 * Authentication at the member's door (etcd's AuthInfoFromCtx, doSerialize, the auth server
 * methods of v3_server.go): who a call runs as, from its `token` metadata or, with
 * --client-cert-auth, the common name of its verified client certificate; the checks made
 * before a read is served or a request proposed; and the Auth service's calls, which go
 * through raft (passwords are checked and hashed here, off the event loop, before proposing).
 */
import { Code, EtcdError, Errors } from '../../errors/rpctypes.js'
import type {
  AuthDisableResponseInit,
  AuthEnableResponseInit,
  AuthenticateRequest,
  AuthenticateResponseInit,
  AuthRoleAddRequest,
  AuthRoleAddResponseInit,
  AuthRoleDeleteRequest,
  AuthRoleDeleteResponseInit,
  AuthRoleGetRequest,
  AuthRoleGetResponseInit,
  AuthRoleGrantPermissionRequest,
  AuthRoleGrantPermissionResponseInit,
  AuthRoleListResponseInit,
  AuthRoleRevokePermissionRequest,
  AuthRoleRevokePermissionResponseInit,
  AuthStatusResponseInit,
  AuthUserAddRequest,
  AuthUserAddResponseInit,
  AuthUserChangePasswordRequest,
  AuthUserChangePasswordResponseInit,
  AuthUserDeleteRequest,
  AuthUserDeleteResponseInit,
  AuthUserGetRequest,
  AuthUserGetResponseInit,
  AuthUserGrantRoleRequest,
  AuthUserGrantRoleResponseInit,
  AuthUserListResponseInit,
  AuthUserRevokeRoleRequest,
  AuthUserRevokeRoleResponseInit,
  TxnRequest,
} from '../../gen/etcdserverpb.js'
import type { InternalRequest, RequestHeader } from '../../gen/tsetcdpb.js'
import type { PasswordHasher } from '../auth/password.js'
import type { AuthInfo, AuthStore } from '../auth/store.js'
import { SimpleTokens, type TokenProvider } from '../auth/tokens.js'
import { checkTxnAuth, type LeaseKeys } from '../apply/auth.js'
import type { CallContext, CoreAuth } from './core.js'

export interface AuthGateOptions {
  store: AuthStore
  tokens: TokenProvider
  hasher: PasswordHasher
  /** --client-cert-auth: a verified client certificate's common name names the user. */
  clientCertAuth: boolean
  leaseKeys: LeaseKeys
  /** Resolves once everything committed so far is applied (a token made there is known then). */
  readNotify(): Promise<void>
  /** Proposes a request (its header filled from the call) and resolves with its applied result. */
  propose<T>(req: InternalRequest, ctx?: CallContext): Promise<T>
}

const NOBODY: RequestHeader = { username: '', auth_revision: 0n }
const toHeader = (ai: AuthInfo | undefined): RequestHeader =>
  ai === undefined ? NOBODY : { username: ai.username, auth_revision: BigInt(ai.revision) }

export class AuthGate implements Omit<CoreAuth, 'header'> {
  constructor(private readonly o: AuthGateOptions) {}

  get store(): AuthStore {
    return this.o.store
  }

  /**
   * Who the call runs as; undefined when it names nobody. Throws InvalidAuthToken for a bad
   * token. Answers at once unless a simple token names an entry this member has not applied.
   */
  info(ctx?: CallContext): AuthInfo | undefined | Promise<AuthInfo | undefined> {
    const token = ctx?.token
    if (token !== undefined) {
      const { tokens, store } = this.o
      const ai = tokens.info(token, store.revision)
      if (ai !== undefined) return ai
      if (tokens.kind === 'simple' && SimpleTokens.indexOf(token) > 0) {
        // Maybe a token made by an entry this member has not applied yet.
        return this.o.readNotify().then(() => {
          const again = tokens.info(token, store.revision)
          if (again === undefined) throw Errors.InvalidAuthToken
          return again
        })
      }
      throw Errors.InvalidAuthToken
    }
    if (this.o.clientCertAuth && ctx?.commonName !== undefined)
      return { username: ctx.commonName, revision: this.o.store.revision }
    return undefined
  }

  /**
   * The header a client's proposal carries: who asked (empty: nobody). A request the member
   * makes itself (lease expiry, compaction) carries none and is not checked.
   */
  header(ctx?: CallContext): RequestHeader | undefined | Promise<RequestHeader> {
    if (ctx === undefined) return undefined
    if (ctx.token === undefined && (ctx.commonName === undefined || !this.o.clientCertAuth)) return NOBODY
    const ai = this.info(ctx)
    return ai instanceof Promise ? ai.then(toHeader) : toHeader(ai)
  }

  /** True when nothing needs checking: authentication is off and the call carries no token. */
  mayRead(ctx?: CallContext): boolean {
    return !this.o.store.isEnabled && ctx?.token === undefined
  }

  /** Runs `check` on the caller before a read is served; the caller, for `afterRead`. */
  async beforeRead(
    ctx: CallContext | undefined,
    check: (ai: AuthInfo | undefined) => void,
  ): Promise<AuthInfo | undefined> {
    if (this.mayRead(ctx)) return undefined
    const ai = await this.info(ctx)
    check(ai)
    return ai
  }

  /** A read served while the auth store changed is refused (etcd's doSerialize). */
  afterRead(ai: AuthInfo | undefined): void {
    if (ai !== undefined && ai.revision !== 0 && ai.revision !== this.o.store.revision) throw Errors.AuthOldRevision
  }

  checkRange(ai: AuthInfo | undefined, key: Uint8Array, rangeEnd?: Uint8Array): void {
    this.o.store.checkRange(ai, key, rangeEnd)
  }

  checkTxn(ai: AuthInfo | undefined, req: TxnRequest): void {
    checkTxnAuth(this.o.store, ai, req, this.o.leaseKeys)
  }

  /** Maintenance and membership calls that need the root role (etcd's IsAdminPermitted). */
  async admin(ctx?: CallContext): Promise<void> {
    if (!this.o.store.isEnabled && ctx?.token === undefined) return
    this.o.store.checkAdmin(await this.info(ctx))
  }

  /**
   * Maintenance calls that need the root role (Snapshot, Hash, HashKV, Defragment): etcd's
   * authMaintenanceServer returns the auth store's error as it is, which gRPC sends as Unknown
   * with the auth package's words ("auth: permission denied", "auth: invalid auth token", …).
   */
  async maintenanceAdmin(ctx?: CallContext): Promise<void> {
    try {
      await this.admin(ctx)
    } catch (err) {
      if (err instanceof EtcdError && err.message.startsWith('etcdserver: '))
        throw new EtcdError(Code.UNKNOWN, 'auth: ' + err.message.slice('etcdserver: '.length))
      throw err
    }
  }

  // ---- the Auth service ----

  authEnable(ctx?: CallContext): Promise<AuthEnableResponseInit> {
    return this.o.propose({ ID: 0n, auth_enable: {} }, ctx)
  }

  authDisable(ctx?: CallContext): Promise<AuthDisableResponseInit> {
    return this.o.propose({ ID: 0n, auth_disable: {} }, ctx)
  }

  async authStatus(): Promise<AuthStatusResponseInit> {
    await this.o.readNotify()
    return { enabled: this.o.store.isEnabled, authRevision: BigInt(this.o.store.revision) }
  }

  async authenticate(req: AuthenticateRequest, ctx?: CallContext): Promise<AuthenticateResponseInit> {
    await this.o.readNotify()
    for (;;) {
      const { hash, revision } = this.o.store.passwordOf(req.name)
      if (!(await this.o.hasher.compare(req.password, hash))) throw Errors.AuthFailed
      const simple_token = this.o.tokens.genTokenPrefix()
      const res = await this.o.propose<AuthenticateResponseInit>(
        { ID: 0n, authenticate: { name: req.name, simple_token } },
        ctx,
      )
      // The password was checked at an auth revision that has since changed: check again.
      if (revision === this.o.store.revision) return res
    }
  }

  async userAdd(req: AuthUserAddRequest, ctx?: CallContext): Promise<AuthUserAddResponseInit> {
    const noPassword = req.options?.no_password === true
    const hashed_password = noPassword ? Buffer.alloc(0) : await this.o.hasher.hash(req.password)
    return this.o.propose(
      { ID: 0n, user_add: { name: req.name, hashed_password, options: { no_password: noPassword } } },
      ctx,
    )
  }

  userGet(req: AuthUserGetRequest, ctx?: CallContext): Promise<AuthUserGetResponseInit> {
    return this.o.propose({ ID: 0n, user_get: req }, ctx)
  }

  userList(ctx?: CallContext): Promise<AuthUserListResponseInit> {
    return this.o.propose({ ID: 0n, user_list: {} }, ctx)
  }

  userDelete(req: AuthUserDeleteRequest, ctx?: CallContext): Promise<AuthUserDeleteResponseInit> {
    return this.o.propose({ ID: 0n, user_delete: req }, ctx)
  }

  async userChangePassword(
    req: AuthUserChangePasswordRequest,
    ctx?: CallContext,
  ): Promise<AuthUserChangePasswordResponseInit> {
    const hashed_password = await this.o.hasher.hash(req.password)
    return this.o.propose({ ID: 0n, user_change_password: { name: req.name, hashed_password } }, ctx)
  }

  userGrantRole(req: AuthUserGrantRoleRequest, ctx?: CallContext): Promise<AuthUserGrantRoleResponseInit> {
    return this.o.propose({ ID: 0n, user_grant_role: req }, ctx)
  }

  userRevokeRole(req: AuthUserRevokeRoleRequest, ctx?: CallContext): Promise<AuthUserRevokeRoleResponseInit> {
    return this.o.propose({ ID: 0n, user_revoke_role: req }, ctx)
  }

  roleAdd(req: AuthRoleAddRequest, ctx?: CallContext): Promise<AuthRoleAddResponseInit> {
    return this.o.propose({ ID: 0n, role_add: req }, ctx)
  }

  roleGet(req: AuthRoleGetRequest, ctx?: CallContext): Promise<AuthRoleGetResponseInit> {
    return this.o.propose({ ID: 0n, role_get: req }, ctx)
  }

  roleList(ctx?: CallContext): Promise<AuthRoleListResponseInit> {
    return this.o.propose({ ID: 0n, role_list: {} }, ctx)
  }

  roleDelete(req: AuthRoleDeleteRequest, ctx?: CallContext): Promise<AuthRoleDeleteResponseInit> {
    return this.o.propose({ ID: 0n, role_delete: req }, ctx)
  }

  roleGrantPermission(
    req: AuthRoleGrantPermissionRequest,
    ctx?: CallContext,
  ): Promise<AuthRoleGrantPermissionResponseInit> {
    return this.o.propose({ ID: 0n, role_grant_permission: req }, ctx)
  }

  roleRevokePermission(
    req: AuthRoleRevokePermissionRequest,
    ctx?: CallContext,
  ): Promise<AuthRoleRevokePermissionResponseInit> {
    return this.o.propose({ ID: 0n, role_revoke_permission: req }, ctx)
  }
}
