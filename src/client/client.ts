/**
 * A client for etcd's v3 gRPC API, for tsetcd's own commands and for programs.
 * Works against tsetcd and against a real etcd.
 *
 * Dialing mirrors clientv3 as etcdctl uses it: every endpoint is dialed at once and the
 * first that connects within the dial timeout serves the calls; if none does, the dial
 * fails with "context deadline exceeded". A dial timeout of 0 sets no limit (clientv3 then
 * dials without blocking): the first call waits for a connection until its own deadline,
 * and streams wait for one as long as it takes. A call that fails because its endpoint became
 * unavailable moves to the next endpoint, within the call's timeout; reads are retried there,
 * writes only when the member never processed them (neverProcessed: no connection, or a
 * refused stream), since any other write may have been applied.
 */
import * as grpc from '@grpc/grpc-js'
import { EndpointSecurity, dialFailureMessage } from './tls.js'
import { AuthService } from '../gen/etcdserverpb.js'
import { Errors } from '../errors/rpctypes.js'

export interface TlsOptions {
  caFile?: string
  certFile?: string
  keyFile?: string
  insecureSkipVerify?: boolean
}

export interface ClientOptions {
  endpoints: string[]
  /** 0: no limit; the dial happens within the first call's deadline. Default 2000. */
  dialTimeoutMs?: number
  keepaliveTimeMs?: number
  keepaliveTimeoutMs?: number
  tls?: TlsOptions
  /** Use TLS even for endpoints without a scheme (etcdctl: --insecure-transport=false). */
  secure?: boolean
  /**
   * Credentials: with both non-empty the client authenticates when it connects (clientv3 does
   * it on dial) and sends the token with every call; either one empty: no authentication.
   */
  username?: string
  password?: string
}

/** A unary or streaming method from a generated service table. */
export interface Method<Req, Res> {
  path: string
  requestStream: boolean
  responseStream: boolean
  requestSerialize: (v: Req) => Buffer
  responseDeserialize: (b: Buffer) => Res
}

export class ClientError extends Error {
  constructor(
    message: string,
    readonly code: number = grpc.status.UNKNOWN,
  ) {
    super(message)
    this.name = 'ClientError'
  }
}

/**
 * True when a call failed before the member processed it, so that sending it again cannot
 * apply it twice: there was no connection to send it on, or the member refused its stream
 * (RST_STREAM REFUSED_STREAM, as a member does with a request that crosses its GOAWAY while it
 * shuts down; grpc-js retries such a stream once itself, grpc-go's clients retry them).
 */
export function neverProcessed(err: unknown): boolean {
  return (
    err instanceof ClientError &&
    err.code === grpc.status.UNAVAILABLE &&
    (err.message.startsWith('No connection established') || err.message === 'Stream refused by server')
  )
}

/** Authenticating with the client's credentials failed (etcdctl exits with its bad-connection code). */
export class AuthenticationError extends ClientError {
  constructor(message: string, code: number) {
    super(message, code)
    this.name = 'AuthenticationError'
  }
}

export const DEADLINE_EXCEEDED = 'context deadline exceeded'

interface Endpoint {
  target: string
  secure: boolean
  security: EndpointSecurity
  client?: grpc.Client
}

/** etcdctl endpoint forms: `host:port`, `http://host:port`, `https://host:port`, `unix://path`. */
export function parseEndpoint(text: string, secureDefault: boolean): { target: string; secure: boolean } {
  const t = text.trim()
  const m = /^(https?|unixs?):\/\/(.*)$/.exec(t)
  if (!m) return { target: t, secure: secureDefault }
  const scheme = m[1]
  const rest = m[2].replace(/\/$/, '')
  if (scheme === 'unix' || scheme === 'unixs') return { target: `unix:${rest}`, secure: scheme === 'unixs' }
  return { target: rest, secure: scheme === 'https' }
}

/** grpc-go's smallest client keepalive time. */
const KEEPALIVE_MIN_TIME_MS = 10_000

export class EtcdClient {
  private readonly endpoints: Endpoint[]
  private active = 0
  private closed = false
  /** Set until a connection was made, when the dial timeout is 0. */
  private pendingDial = false
  /** The auth token sent as `token` metadata; undefined without one (no credentials, or auth disabled). */
  private authToken: string | undefined

  private constructor(private readonly opts: ClientOptions) {
    if (opts.endpoints.length === 0) throw new ClientError('no endpoints given')
    const parsed = opts.endpoints.map((e) => parseEndpoint(e, !!opts.secure))
    const security = EndpointSecurity.forEndpoints(parsed, opts.tls)
    this.endpoints = parsed.map((p, i) => ({ ...p, security: security[i] }))
  }

  /** Dials all endpoints; resolves once one is connected. */
  static async connect(opts: ClientOptions): Promise<EtcdClient> {
    const c = new EtcdClient(opts)
    if (opts.dialTimeoutMs === 0) {
      c.pendingDial = true
      c.endpoints.forEach((_, i) => c.channel(i).getChannel().getConnectivityState(true))
    } else await c.dial(Date.now() + (opts.dialTimeoutMs ?? 2000))
    if (c.hasCredentials && !c.pendingDial) {
      try {
        await c.authenticate(opts.dialTimeoutMs ?? 2000)
      } catch (err) {
        c.close()
        throw err instanceof ClientError ? new AuthenticationError(err.message, err.code) : err
      }
    }
    return c
  }

  private get hasCredentials(): boolean {
    return !!this.opts.username && !!this.opts.password
  }

  /** The token this client sends, if any. */
  get token(): string | undefined {
    return this.authToken
  }

  /**
   * Authenticates with the client's credentials (clientv3's getToken): each endpoint in turn
   * until one answers; a server without auth enabled leaves the client without a token.
   */
  async authenticate(timeoutMs = 5000): Promise<void> {
    if (!this.hasCredentials) return
    this.authToken = undefined
    const req = { name: this.opts.username!, password: this.opts.password! }
    let lastErr: unknown
    for (let t = 0; t < this.endpoints.length; t++) {
      const i = (this.active + t) % this.endpoints.length
      try {
        const res = await this.unaryOn(i, AuthService.Authenticate, req, timeoutMs, false)
        this.authToken = res.token
        return
      } catch (err) {
        if (err instanceof ClientError && err.message === Errors.AuthNotEnabled.message) return
        lastErr = err
      }
    }
    throw lastErr
  }

  /** clientv3's shouldRefreshToken: the token expired, or the auth store moved on, or it was dropped. */
  private shouldRefreshToken(err: unknown): boolean {
    if (!this.hasCredentials || !(err instanceof ClientError)) return false
    return (
      err.message === Errors.InvalidAuthToken.message ||
      err.message === Errors.AuthOldRevision.message ||
      err.message === Errors.UserEmpty.message
    )
  }

  private metadata(): grpc.Metadata {
    const m = new grpc.Metadata()
    if (this.authToken !== undefined) m.set('token', this.authToken)
    return m
  }

  private channel(i: number): grpc.Client {
    const ep = this.endpoints[i]
    if (!ep.client) {
      const options: grpc.ChannelOptions = {
        'grpc.max_receive_message_length': -1,
        'grpc.max_send_message_length': -1,
        // grpc-go raises a keepalive time under 10 s to 10 s (servers refuse pings more often than every 5 s).
        'grpc.keepalive_time_ms': Math.max(KEEPALIVE_MIN_TIME_MS, this.opts.keepaliveTimeMs ?? 2000),
        'grpc.keepalive_timeout_ms': this.opts.keepaliveTimeoutMs ?? 6000,
        'grpc.enable_retries': 0,
      }
      ep.client = new grpc.Client(ep.target, ep.security.credentials(), options)
    }
    return ep.client
  }

  private async dial(deadline: number): Promise<void> {
    const attempts = this.endpoints.map(
      (_, i) =>
        new Promise<number>((resolve, reject) => {
          this.channel(i).waitForReady(deadline, (err) => (err ? reject(err) : resolve(i)))
        }),
    )
    try {
      this.active = await Promise.any(attempts)
    } catch {
      const eps = this.endpoints.map((e, i) => ({ name: this.opts.endpoints[i], security: e.security }))
      throw new ClientError(await dialFailureMessage(DEADLINE_EXCEEDED, eps), grpc.status.DEADLINE_EXCEEDED)
    }
  }

  /** Calls a unary method; `timeoutMs` bounds the call (etcdctl's --command-timeout). */
  async call<Req, Res>(method: Method<Req, Res>, req: Req, timeoutMs = 5000, retry = false): Promise<Res> {
    if (this.pendingDial) {
      const started = Date.now()
      await this.dial(started + timeoutMs)
      this.pendingDial = false
      await this.authenticate(Math.max(0, timeoutMs - (Date.now() - started)))
      timeoutMs = Math.max(0, timeoutMs - (Date.now() - started))
    }
    const deadline = Date.now() + timeoutMs
    let lastErr: unknown
    for (let t = 0; t < this.endpoints.length; t++) {
      const i = (this.active + t) % this.endpoints.length
      try {
        const res = await this.unaryOnWithToken<Req, Res>(i, method, req, deadline - Date.now())
        this.active = i
        return res
      } catch (err) {
        lastErr = err
        if (!(err instanceof ClientError) || err.code !== grpc.status.UNAVAILABLE) throw err
        // A write that may have reached the member is not sent again: it may have been applied.
        if (!retry && !neverProcessed(err)) throw err
        if (deadline - Date.now() <= 0) throw err
      }
    }
    throw lastErr
  }

  /** A unary call; when the token expired (or the auth store changed) the client authenticates again and retries once. */
  private async unaryOnWithToken<Req, Res>(
    i: number,
    method: Method<Req, Res>,
    req: Req,
    timeoutMs: number,
  ): Promise<Res> {
    const deadline = Date.now() + timeoutMs
    try {
      return await this.unaryOn(i, method, req, timeoutMs)
    } catch (err) {
      if (!this.shouldRefreshToken(err)) throw err
      await this.authenticate(Math.max(0, deadline - Date.now()))
      return await this.unaryOn(i, method, req, Math.max(0, deadline - Date.now()))
    }
  }

  private unaryOn<Req, Res>(
    i: number,
    method: Method<Req, Res>,
    req: Req,
    timeoutMs: number,
    withToken = true,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.channel(i).makeUnaryRequest<Req, Res>(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        req,
        withToken ? this.metadata() : new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => {
          if (err) reject(toClientError(err, this.endpoints[i].security.tlsReason()))
          else resolve(res as Res)
        },
      )
    })
  }

  /** A server-streaming or bidirectional call on the active endpoint. */
  duplex<Req, Res>(method: Method<Req, Res>): grpc.ClientDuplexStream<Req, Res> {
    const metadata = this.metadata()
    if (this.pendingDial) metadata.setOptions({ waitForReady: true })
    return this.channel(this.active).makeBidiStreamRequest<Req, Res>(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      metadata,
    )
  }

  /** A server-streaming call on the active endpoint; `deadline` (ms since the epoch) bounds it. */
  serverStream<Req, Res>(method: Method<Req, Res>, req: Req, deadline = Infinity): grpc.ClientReadableStream<Res> {
    const metadata = this.metadata()
    if (this.pendingDial) metadata.setOptions({ waitForReady: true })
    return this.channel(this.active).makeServerStreamRequest<Req, Res>(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      req,
      metadata,
      { deadline },
    )
  }

  /** TLS details to add to an UNAVAILABLE error of the active endpoint. */
  get tlsReason(): string | undefined {
    return this.endpoints[this.active].security.tlsReason()
  }

  get endpoint(): string {
    return this.opts.endpoints[this.active]
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    for (const ep of this.endpoints) ep.client?.close()
  }
}

export function toClientError(err: grpc.ServiceError, tlsReason?: string): ClientError {
  if (err.code === grpc.status.DEADLINE_EXCEEDED) return new ClientError(DEADLINE_EXCEEDED, err.code)
  if (err.code === grpc.status.UNAVAILABLE && tlsReason)
    return new ClientError(`${DEADLINE_EXCEEDED}: ${tlsReason}`, err.code)
  // clientv3 hands on an error whose text is not one of etcd's own as grpc-go's status text.
  if (err.code === grpc.status.UNKNOWN && err.details && !err.details.startsWith('rpc error: '))
    return new ClientError(`rpc error: code = Unknown desc = ${err.details}`, err.code)
  return new ClientError(err.details || err.message, err.code)
}
