/**
 * etcd's JSON gateway on the client port (grpc-gateway v1 as etcd 3.4 registers it): POST
 * /v3/<service>/<method> (and /v3beta/…, which etcd rewrites to /v3/) with a JSON request
 * body, answered with the method's JSON response, or with newline-delimited
 * `{"result":…}` objects for the streaming methods (watch, lease keep-alive, snapshot).
 *
 * Every route runs the gRPC service's own handler for the method (validation, limits, the
 * core call, the response header), through call objects over the HTTP exchange (calls.ts).
 * Errors: a body jsonpb cannot read is InvalidArgument; a handler's status becomes
 * `{"error","message","code"}` with grpc-gateway's HTTP status for the code.
 */
import type http from 'node:http'
import type { FieldInfo } from '../../../proto/wire.js'
import type { HttpHandler } from '../h2/index.js'
import { Status } from '../h2/index.js'
import * as pb from '../../../gen/etcdserverpb.js'
import * as lockpb from '../../../gen/v3lockpb.js'
import * as electionpb from '../../../gen/v3electionpb.js'
import { GRPC_OVERHEAD_BYTES, type Limits } from '../limits.js'
import { KVServiceEncodedRange } from '../range-encoding.js'
import { decodeNext, GoJsonError } from './gojson.js'
import { marshal, unmarshal } from './jsonpb.js'
import { GatewayStreamCall, GatewayUnaryCall, type HttpRequest, type HttpResponse } from './calls.js'

/** The gRPC handlers by service and method name (as registered on the gRPC server). */
export type ServiceHandlers = Record<string, Record<string, unknown>>

interface MethodTable {
  path: string
  requestStream: boolean
  responseStream: boolean
  requestSerialize: (v: never) => Buffer
  requestDeserialize: (b: Buffer) => unknown
  responseSerialize: (v: never) => Buffer
  responseDeserialize: (b: Buffer) => unknown
}

interface Route {
  service: string
  method: string
  table: MethodTable
  req: FieldInfo[]
  res: FieldInfo[]
}

function route(
  service: string,
  method: string,
  table: Record<string, MethodTable>,
  req: FieldInfo[],
  res: FieldInfo[],
): Route {
  return { service, method, table: table[method], req, res }
}

/** etcd 3.4's gateway paths (rpc.pb.gw.go); where two methods share a path the first registered wins. */
const ROUTES = new Map<string, Route>([
  ['/v3/kv/range', route('KV', 'Range', KVServiceEncodedRange, pb.RangeRequestFields, pb.RangeResponseFields)],
  ['/v3/kv/put', route('KV', 'Put', pb.KVService, pb.PutRequestFields, pb.PutResponseFields)],
  [
    '/v3/kv/deleterange',
    route('KV', 'DeleteRange', pb.KVService, pb.DeleteRangeRequestFields, pb.DeleteRangeResponseFields),
  ],
  ['/v3/kv/txn', route('KV', 'Txn', pb.KVService, pb.TxnRequestFields, pb.TxnResponseFields)],
  ['/v3/kv/compaction', route('KV', 'Compact', pb.KVService, pb.CompactionRequestFields, pb.CompactionResponseFields)],
  ['/v3/watch', route('Watch', 'Watch', pb.WatchService, pb.WatchRequestFields, pb.WatchResponseFields)],
  ...(['/v3/lease/grant'] as const).map(
    (p) =>
      [
        p,
        route('Lease', 'LeaseGrant', pb.LeaseService, pb.LeaseGrantRequestFields, pb.LeaseGrantResponseFields),
      ] as const,
  ),
  ...(['/v3/lease/revoke', '/v3/kv/lease/revoke'] as const).map(
    (p) =>
      [
        p,
        route('Lease', 'LeaseRevoke', pb.LeaseService, pb.LeaseRevokeRequestFields, pb.LeaseRevokeResponseFields),
      ] as const,
  ),
  [
    '/v3/lease/keepalive',
    route('Lease', 'LeaseKeepAlive', pb.LeaseService, pb.LeaseKeepAliveRequestFields, pb.LeaseKeepAliveResponseFields),
  ],
  ...(['/v3/lease/timetolive', '/v3/kv/lease/timetolive'] as const).map(
    (p) =>
      [
        p,
        route(
          'Lease',
          'LeaseTimeToLive',
          pb.LeaseService,
          pb.LeaseTimeToLiveRequestFields,
          pb.LeaseTimeToLiveResponseFields,
        ),
      ] as const,
  ),
  ...(['/v3/lease/leases', '/v3/kv/lease/leases'] as const).map(
    (p) =>
      [
        p,
        route('Lease', 'LeaseLeases', pb.LeaseService, pb.LeaseLeasesRequestFields, pb.LeaseLeasesResponseFields),
      ] as const,
  ),
  [
    '/v3/cluster/member/add',
    route('Cluster', 'MemberAdd', pb.ClusterService, pb.MemberAddRequestFields, pb.MemberAddResponseFields),
  ],
  [
    '/v3/cluster/member/remove',
    route('Cluster', 'MemberRemove', pb.ClusterService, pb.MemberRemoveRequestFields, pb.MemberRemoveResponseFields),
  ],
  [
    '/v3/cluster/member/update',
    route('Cluster', 'MemberUpdate', pb.ClusterService, pb.MemberUpdateRequestFields, pb.MemberUpdateResponseFields),
  ],
  [
    '/v3/cluster/member/list',
    route('Cluster', 'MemberList', pb.ClusterService, pb.MemberListRequestFields, pb.MemberListResponseFields),
  ],
  [
    '/v3/cluster/member/promote',
    route('Cluster', 'MemberPromote', pb.ClusterService, pb.MemberPromoteRequestFields, pb.MemberPromoteResponseFields),
  ],
  [
    '/v3/maintenance/alarm',
    route('Maintenance', 'Alarm', pb.MaintenanceService, pb.AlarmRequestFields, pb.AlarmResponseFields),
  ],
  [
    '/v3/maintenance/status',
    route('Maintenance', 'Status', pb.MaintenanceService, pb.StatusRequestFields, pb.StatusResponseFields),
  ],
  [
    '/v3/maintenance/defragment',
    route('Maintenance', 'Defragment', pb.MaintenanceService, pb.DefragmentRequestFields, pb.DefragmentResponseFields),
  ],
  [
    '/v3/maintenance/hash',
    route('Maintenance', 'Hash', pb.MaintenanceService, pb.HashRequestFields, pb.HashResponseFields),
  ],
  [
    '/v3/maintenance/snapshot',
    route('Maintenance', 'Snapshot', pb.MaintenanceService, pb.SnapshotRequestFields, pb.SnapshotResponseFields),
  ],
  [
    '/v3/maintenance/transfer-leadership',
    route('Maintenance', 'MoveLeader', pb.MaintenanceService, pb.MoveLeaderRequestFields, pb.MoveLeaderResponseFields),
  ], // etcd 3.4's Auth paths (rpc.pb.gw.go): method → its request and response messages.
  ...(
    [
      ['enable', 'AuthEnable', pb.AuthEnableRequestFields, pb.AuthEnableResponseFields],
      ['disable', 'AuthDisable', pb.AuthDisableRequestFields, pb.AuthDisableResponseFields],
      ['authenticate', 'Authenticate', pb.AuthenticateRequestFields, pb.AuthenticateResponseFields],
      ['user/add', 'UserAdd', pb.AuthUserAddRequestFields, pb.AuthUserAddResponseFields],
      ['user/get', 'UserGet', pb.AuthUserGetRequestFields, pb.AuthUserGetResponseFields],
      ['user/list', 'UserList', pb.AuthUserListRequestFields, pb.AuthUserListResponseFields],
      ['user/delete', 'UserDelete', pb.AuthUserDeleteRequestFields, pb.AuthUserDeleteResponseFields],
      [
        'user/changepw',
        'UserChangePassword',
        pb.AuthUserChangePasswordRequestFields,
        pb.AuthUserChangePasswordResponseFields,
      ],
      ['user/grant', 'UserGrantRole', pb.AuthUserGrantRoleRequestFields, pb.AuthUserGrantRoleResponseFields],
      ['user/revoke', 'UserRevokeRole', pb.AuthUserRevokeRoleRequestFields, pb.AuthUserRevokeRoleResponseFields],
      ['role/add', 'RoleAdd', pb.AuthRoleAddRequestFields, pb.AuthRoleAddResponseFields],
      ['role/get', 'RoleGet', pb.AuthRoleGetRequestFields, pb.AuthRoleGetResponseFields],
      ['role/list', 'RoleList', pb.AuthRoleListRequestFields, pb.AuthRoleListResponseFields],
      ['role/delete', 'RoleDelete', pb.AuthRoleDeleteRequestFields, pb.AuthRoleDeleteResponseFields],
      [
        'role/grant',
        'RoleGrantPermission',
        pb.AuthRoleGrantPermissionRequestFields,
        pb.AuthRoleGrantPermissionResponseFields,
      ],
      [
        'role/revoke',
        'RoleRevokePermission',
        pb.AuthRoleRevokePermissionRequestFields,
        pb.AuthRoleRevokePermissionResponseFields,
      ],
    ] as const
  ).map(([p, method, req, res]) => [`/v3/auth/${p}`, route('Auth', method, pb.AuthService, req, res)] as const),
  // v3lock.proto and v3election.proto.
  ['/v3/lock/lock', route('Lock', 'Lock', lockpb.LockService, lockpb.LockRequestFields, lockpb.LockResponseFields)],
  [
    '/v3/lock/unlock',
    route('Lock', 'Unlock', lockpb.LockService, lockpb.UnlockRequestFields, lockpb.UnlockResponseFields),
  ],
  ...(
    [
      ['campaign', 'Campaign', electionpb.CampaignRequestFields, electionpb.CampaignResponseFields],
      ['proclaim', 'Proclaim', electionpb.ProclaimRequestFields, electionpb.ProclaimResponseFields],
      ['leader', 'Leader', electionpb.LeaderRequestFields, electionpb.LeaderResponseFields],
      ['observe', 'Observe', electionpb.LeaderRequestFields, electionpb.LeaderResponseFields],
      ['resign', 'Resign', electionpb.ResignRequestFields, electionpb.ResignResponseFields],
    ] as const
  ).map(
    ([p, method, req, res]) =>
      [`/v3/election/${p}`, route('Election', method, electionpb.ElectionService, req, res)] as const,
  ),
])

/** grpc-gateway's HTTPStatusFromCode. */
export function httpStatusFromCode(code: number): number {
  const table: Record<number, number> = {
    0: 200,
    1: 408,
    2: 500,
    3: 400,
    4: 504,
    5: 404,
    6: 409,
    7: 403,
    8: 429,
    9: 412,
    10: 409,
    11: 400,
    12: 501,
    13: 500,
    14: 503,
    15: 500,
    16: 401,
  }
  return table[code] ?? 500
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/** Go's http.Error. */
function plainError(res: HttpResponse, status: number, text: string): void {
  res.statusCode = status
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.end(`${text}\n`)
}

function errorBody(code: number, message: string): string {
  const m = JSON.stringify(message)
  return `{"error":${m},"message":${m},"code":${code}}`
}

/**
 * grpc-gateway's DefaultHTTPError. `fromCall`: the status came back from the gRPC call, whose
 * trailers-only answer carried a content-type, forwarded as a trailer.
 */
function httpError(res: HttpResponse, code: number, message: string, fromCall: boolean): void {
  res.statusCode = httpStatusFromCode(code)
  res.setHeader('Content-Type', 'application/json')
  if (fromCall) {
    res.setHeader('Trailer', 'Grpc-Trailer-Content-Type')
    ;(res as http.ServerResponse).write(errorBody(code, message))
    res.addTrailers({ 'Grpc-Trailer-Content-Type': 'application/grpc' })
    res.end()
  } else res.end(errorBody(code, message))
}

/** A status that ends a stream, after or instead of its first message (grpc-gateway's streamChunk). */
function streamError(res: HttpResponse, code: number, details: string): void {
  const http = httpStatusFromCode(code)
  if (!res.headersSent) res.statusCode = http
  const body = `{"error":{"grpc_code":${code},"http_code":${http},"message":${JSON.stringify(details)},"http_status":${JSON.stringify(STATUS_TEXT[http] ?? '')}}}`
  res.end(body)
}

/** The body, or undefined when it is larger than `cap` (the request is then answered). */
function readBody(req: HttpRequest, cap: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let size = 0
    req.on('data', (d: Buffer) => {
      size += d.length
      if (size > cap) {
        parts.length = 0
        req.removeAllListeners('data')
        req.resume()
        resolve(undefined)
        return
      }
      parts.push(d)
    })
    req.on('end', () => resolve(Buffer.concat(parts)))
    req.on('error', reject)
  })
}

/** A request message from JSON: the shape (and encoded size) the gRPC services get. */
function readRequest(r: Route, body: Buffer): { req: unknown; size: number } {
  const next = decodeNext(body)
  if (next === 'more') throw new GoJsonError('unexpected EOF')
  const init = next === 'eof' ? {} : unmarshal(r.req, next.node)
  const bytes = r.table.requestSerialize(init as never)
  return { req: r.table.requestDeserialize(bytes), size: bytes.length }
}

/** A response (a message, or its encoding) as JSON, through the wire encoding as gRPC clients see it. */
function renderResponse(r: Route, message: unknown): string {
  const bytes = Buffer.isBuffer(message) ? message : r.table.responseSerialize(message as never)
  return marshal(r.res, r.table.responseDeserialize(bytes) as Record<string, unknown>)
}

type Handler = (call: unknown, callback?: (err: unknown, value?: unknown) => void) => void

export interface GatewayOptions extends Limits {
  /** What answers every other path (/health, /version, …). */
  fallback: HttpHandler
}

export function gatewayHandler(services: ServiceHandlers, opts: GatewayOptions): HttpHandler {
  const maxMessage = opts.maxRequestBytes + GRPC_OVERHEAD_BYTES
  // JSON carries bytes in base64 and may escape every character: room for any request gRPC would take.
  const maxBody = 8 * maxMessage
  return (req, res) => {
    const [rawPath, query] = (req.url ?? '/').split('?', 2)
    const path = rawPath.replace(/^\/v3beta\//, '/v3/')
    if (path === '/v3') {
      // Go's ServeMux sends a path missing its subtree's slash there.
      const to = `/v3/${query === undefined ? '' : `?${query}`}`
      res.statusCode = 301
      res.setHeader('Location', to)
      if (req.method === 'GET' || req.method === 'HEAD') {
        res.setHeader('Content-Type', 'text/html; charset=utf-8')
        res.end(`<a href="${to}">Moved Permanently</a>.\n\n`)
      } else res.end()
      return
    }
    if (!path.startsWith('/v3/')) {
      opts.fallback(req, res)
      return
    }
    const r = ROUTES.get(path)
    if (r === undefined) {
      plainError(res, 404, 'Not Found')
      return
    }
    if (req.method !== 'POST') {
      plainError(res, 405, 'Method Not Allowed')
      return
    }
    const handler = services[r.service]?.[r.method] as Handler | undefined
    const grpcPath = r.table.path
    if (r.table.requestStream) {
      streamRequests(req, res, r, handler, grpcPath)
      return
    }
    readBody(req, maxBody).then(
      (body) => {
        if (body === undefined) {
          const msg = `grpc: received message larger than max (${maxBody} vs. ${maxMessage})`
          httpError(res, Status.RESOURCE_EXHAUSTED, msg, true)
          return
        }
        let request: { req: unknown; size: number }
        try {
          request = readRequest(r, body)
        } catch (err) {
          if (!(err instanceof GoJsonError)) throw err
          httpError(res, Status.INVALID_ARGUMENT, err.message, false)
          return
        }
        if (request.size > maxMessage) {
          const msg = `grpc: received message larger than max (${request.size} vs. ${maxMessage})`
          httpError(res, Status.RESOURCE_EXHAUSTED, msg, true)
          return
        }
        if (handler === undefined) {
          httpError(res, Status.UNIMPLEMENTED, `The server does not implement the method ${grpcPath}`, true)
          return
        }
        if (r.table.responseStream) {
          const call = new GatewayStreamCall(
            req,
            res,
            grpcPath,
            (m) => `{"result":${renderResponse(r, m)}}\n`,
            (code, details) => streamError(res, code, details),
            request.req,
          )
          startStream(res)
          handler(call)
          return
        }
        const call = new GatewayUnaryCall(req, res, grpcPath, request)
        handler(call, (err, value) => {
          if (res.writableEnded || res.destroyed) return
          if (err) {
            const e = err as { code?: number; details?: string; message?: string }
            httpError(res, e.code ?? Status.UNKNOWN, e.details ?? e.message ?? '', true)
            return
          }
          const text = renderResponse(r, value)
          res.statusCode = 200
          res.setHeader('Content-Type', 'application/json')
          res.setHeader('Grpc-Metadata-Content-Type', 'application/grpc')
          res.setHeader('Content-Length', Buffer.byteLength(text))
          res.end(text)
        })
      },
      () => res.destroy(),
    )
  }
}

function startStream(res: HttpResponse): void {
  res.statusCode = 200
  res.setHeader('Content-Type', 'application/json')
  res.setHeader('Grpc-Metadata-Content-Type', 'application/grpc')
}

/**
 * A bidirectional method: each JSON value in the request body is one request, handed to the
 * handler as it arrives. A first request that cannot be read fails the call; a later one
 * ends the requests (the stream stays open for responses), as grpc-gateway does.
 */
function streamRequests(
  req: HttpRequest,
  res: HttpResponse,
  r: Route,
  handler: Handler | undefined,
  grpcPath: string,
): void {
  if (handler === undefined) {
    httpError(res, Status.UNIMPLEMENTED, `The server does not implement the method ${grpcPath}`, true)
    return
  }
  let call: GatewayStreamCall<unknown, unknown> | undefined
  let buf: Buffer = Buffer.alloc(0)
  let done = false
  const open = () => {
    if (call !== undefined) return call
    startStream(res)
    call = new GatewayStreamCall(
      req,
      res,
      grpcPath,
      (m) => `{"result":${renderResponse(r, m)}}\n`,
      (code, details) => streamError(res, code, details),
    )
    handler(call)
    return call
  }
  const finish = (err?: GoJsonError) => {
    done = true
    req.removeListener('data', onData)
    if (call === undefined && err !== undefined) {
      // Nothing was sent: grpc-gateway answers the decoder's error as a status it does not know.
      httpError(res, Status.UNKNOWN, err.message, false)
      return
    }
    open().emit('end')
  }
  const drain = (ended: boolean) => {
    let pos = 0
    while (!done) {
      let next
      try {
        next = decodeNext(buf, pos)
      } catch (err) {
        if (!(err instanceof GoJsonError)) throw err
        finish(err)
        return
      }
      if (next === 'eof') break
      if (next === 'more') {
        if (ended) finish(new GoJsonError('unexpected EOF'))
        break
      }
      pos = next.next
      let msg: unknown
      try {
        const init = unmarshal(r.req, next.node)
        msg = r.table.requestDeserialize(r.table.requestSerialize(init as never))
      } catch (err) {
        if (!(err instanceof GoJsonError)) throw err
        finish(err)
        return
      }
      open().emit('data', msg)
    }
    buf = buf.subarray(pos)
    if (ended && !done) finish()
  }
  const onData = (d: Buffer) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d])
    drain(false)
  }
  req.on('data', onData)
  req.on('end', () => {
    if (!done) drain(true)
  })
}
