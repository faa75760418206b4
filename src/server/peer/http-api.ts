/**
 * The peer port's small GET API, for a member joining an existing cluster:
 *   GET /members  →  [{"id": "<hex>", "name", "peerURLs": [...], "clientURLs": [...]}]
 *   GET /version  →  {"etcdserver": "3.5.0", "etcdcluster": "3.5.0"}
 * Both carry the cluster ID in the x-tsetcd-cluster-id response header. The routes answer
 * over HTTP/2 and HTTP/1.1 alike (curl works), and `fetchMembers` is the client side.
 *
 * POST routes registered by the member (`PostRoutes`: POST /leases/renew and POST /leases/ttl,
 * lease requests forwarded to the leader) take and answer JSON; the request must carry the
 * cluster ID in x-tsetcd-cluster-id. `postJson` is their client side (PeerTransport.post).
 */
import type { Readable } from 'node:stream'
import http2 from 'node:http2'
import http from 'node:http'
import https from 'node:https'
import type { NodeId } from '../../raft/types.js'
import { HEADER_CLUSTER_ID, idHex, parseIdHex } from './handshake.js'
import { clientTlsOptions, loadTls, type PeerTlsOptions, type TlsMaterial } from './tls.js'
import type { MemberInfo, VersionInfo } from './types.js'
import { isUnixUrl, unixSocketPath } from './url-schemes.js'

export const PATH_MEMBERS = '/members'
export const PATH_VERSION = '/version'

export interface ApiContext {
  clusterId: NodeId
  members?: () => MemberInfo[]
  version: () => VersionInfo
}

export interface ApiResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** A POST route: the parsed JSON body in, a status and a JSON value out. */
export type PostHandler = (body: unknown) => Promise<{ status: number; value: unknown }>
export type PostRoutes = ReadonlyMap<string, PostHandler>

const MAX_POST_BYTES = 64 << 10

/** Reads a POST route's body, runs its handler and hands the answer to `respond`. */
export async function answerPost(
  body: Readable,
  clusterHeader: unknown,
  handler: PostHandler,
  clusterId: NodeId,
  respond: (r: ApiResponse) => void,
): Promise<void> {
  try {
    if (parseIdHex(clusterHeader as string | undefined) !== clusterId) return respond(text(412, 'cluster ID mismatch'))
    let raw = ''
    for await (const chunk of body) {
      raw += String(chunk)
      if (raw.length > MAX_POST_BYTES) return respond(text(413, 'request too large'))
    }
    const r = await handler(JSON.parse(raw))
    respond(json(r.status, clusterId, r.value))
  } catch (err) {
    respond(text(400, (err as Error).message))
  }
}

/** A POST route's answer as its caller sees it: the status and the JSON value (text when not JSON). */
export interface PostAnswer {
  status: number
  value: unknown
}

/** POSTs `body` as JSON to `path` on an open session, with the cluster ID; rejects when nothing came back within `timeoutMs`. */
export function postJson(
  session: http2.ClientHttp2Session,
  clusterId: NodeId,
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/json',
      [HEADER_CLUSTER_ID]: idHex(clusterId),
    })
    const timer = setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), Math.max(1, timeoutMs))
    let status = 0
    let text = ''
    req.setEncoding('utf8')
    req.on('response', (h) => (status = Number(h[':status'])))
    req.on('data', (d: string) => (text += d))
    req.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    req.on('close', () => {
      clearTimeout(timer)
      if (status === 0) return reject(new Error(`${path}: no answer within ${timeoutMs} ms`))
      let value: unknown = text
      try {
        value = JSON.parse(text)
      } catch {
        // an error text
      }
      resolve({ status, value })
    })
    req.end(JSON.stringify(body))
  })
}

interface MemberJson {
  id: string
  name: string
  peerURLs: string[]
  clientURLs: string[]
}

function json(status: number, clusterId: NodeId, value: unknown): ApiResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', [HEADER_CLUSTER_ID]: idHex(clusterId) },
    body: JSON.stringify(value),
  }
}

function text(status: number, body: string): ApiResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: body + '\n' }
}

/** The answer to a GET API request, or undefined when `path` is not an API route. */
export function apiResponse(method: string, path: string, ctx: ApiContext): ApiResponse | undefined {
  const route = path.split('?', 1)[0]
  if (route !== PATH_MEMBERS && route !== PATH_VERSION) return undefined
  if (method !== 'GET' && method !== 'HEAD') return text(405, `method ${method} not allowed`)
  if (route === PATH_VERSION) return json(200, ctx.clusterId, ctx.version())
  if (ctx.members === undefined) return text(503, 'membership not available')
  const list: MemberJson[] = ctx
    .members()
    .map((m) => ({ id: idHex(m.id), name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs }))
  return json(200, ctx.clusterId, list)
}

export interface ClusterMembers {
  clusterId: NodeId
  members: MemberInfo[]
}

function parseMembers(body: string): MemberInfo[] {
  const v: unknown = JSON.parse(body)
  if (!Array.isArray(v)) throw new Error('GET /members: expected a JSON array')
  return v.map((m: Partial<MemberJson>) => {
    const id = parseIdHex(m.id)
    if (id === undefined || typeof m.name !== 'string' || !Array.isArray(m.peerURLs) || !Array.isArray(m.clientURLs)) {
      throw new Error(`GET /members: malformed member ${JSON.stringify(m)}`)
    }
    return { id, name: m.name, peerURLs: m.peerURLs.map(String), clientURLs: m.clientURLs.map(String) }
  })
}

/** GET `path` from the member at peer URL `base` (http, https, unix or unixs). */
function get(
  base: URL,
  path: string,
  tls: TlsMaterial | undefined,
  timeoutMs: number,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const opts: https.RequestOptions = { method: 'GET', timeout: timeoutMs, agent: false }
    const tlsOpts = tls === undefined ? {} : clientTlsOptions(tls)
    let req: http.ClientRequest
    if (isUnixUrl(base)) {
      const unixOpts = { ...opts, socketPath: unixSocketPath(base), path, headers: { host: 'localhost' } }
      req = base.protocol === 'unixs:' ? https.request({ ...unixOpts, ...tlsOpts }) : http.request(unixOpts)
    } else if (base.protocol === 'https:') {
      req = https.request(new URL(path, base), { ...opts, ...tlsOpts })
    } else if (base.protocol === 'http:') {
      req = http.request(new URL(path, base), opts)
    } else {
      reject(new Error(`unsupported URL scheme ${base.protocol}`))
      return
    }
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)))
    req.on('error', reject)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      )
    })
    req.end()
  })
}

/**
 * Asks each peer URL in turn for the cluster's members; the first answer wins. Throws, naming
 * every URL's failure, when none answers.
 */
export async function fetchMembers(
  peerUrls: readonly string[],
  tls?: PeerTlsOptions | TlsMaterial,
  opts: { timeoutMs?: number } = {},
): Promise<ClusterMembers> {
  const material = tls === undefined ? undefined : 'certFile' in tls ? await loadTls(tls) : tls
  const timeoutMs = opts.timeoutMs ?? 2000
  const failures: string[] = []
  for (const u of peerUrls) {
    try {
      const res = await get(new URL(u), PATH_MEMBERS, material, timeoutMs)
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.trim()}`)
      const clusterId = parseIdHex(res.headers[HEADER_CLUSTER_ID])
      if (clusterId === undefined) throw new Error(`response lacks the ${HEADER_CLUSTER_ID} header`)
      return { clusterId, members: parseMembers(res.body) }
    } catch (err) {
      failures.push(`${u}: ${(err as Error).message}`)
    }
  }
  throw new Error(`could not retrieve cluster members from any peer URL (${failures.join('; ')})`)
}
