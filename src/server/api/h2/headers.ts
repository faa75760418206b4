/**
 * The HTTP/2 header blocks of a gRPC response, and the request headers the server reads.
 * The common blocks are shared frozen objects: node copies them into its own header list.
 */
import type { OutgoingHttpHeaders, ServerStreamResponseOptions } from 'node:http2'
import { encodeHeaderBlock, type HeaderField } from './hpack.js'
import { encodeGrpcMessage } from './status.js'
import type { StatusObject } from './types.js'

export const GRPC_CONTENT_TYPE = 'application/grpc'

/** Response headers before the first message. */
export const RESPONSE_HEADERS: OutgoingHttpHeaders = Object.freeze({
  ':status': 200,
  'content-type': GRPC_CONTENT_TYPE,
})

/** A header block that ends the stream (on node's HTTP/2). */
export const END_STREAM: ServerStreamResponseOptions = Object.freeze({ endStream: true, sendDate: false })

export const OK_TRAILERS: OutgoingHttpHeaders = Object.freeze({ 'grpc-status': '0' })

/**
 * A header object as an HPACK block (pseudo-headers first; array values as repeated fields).
 * The block never touches the client's dynamic table.
 */
export function encodeHeaders(h: OutgoingHttpHeaders): Buffer {
  const pseudo: HeaderField[] = []
  const regular: HeaderField[] = []
  for (const [name, v] of Object.entries(h)) {
    if (v === undefined) continue
    const list = name.charCodeAt(0) === 0x3a ? pseudo : regular
    const n = name.toLowerCase()
    if (Array.isArray(v)) for (const x of v) list.push({ name: n, value: String(x) })
    else list.push({ name: n, value: String(v) })
  }
  return encodeHeaderBlock(pseudo.length === 0 ? regular : pseudo.concat(regular))
}

/** RESPONSE_HEADERS and OK_TRAILERS, encoded once. */
export const RESPONSE_BLOCK = encodeHeaders(RESPONSE_HEADERS)
export const OK_TRAILERS_BLOCK = encodeHeaders(OK_TRAILERS)

/** Trailers carrying `s` (after headers were sent). */
export function trailersFor(s: StatusObject): OutgoingHttpHeaders {
  if (s.code === 0 && s.metadata === null && (s.details === '' || s.details === 'OK')) return OK_TRAILERS
  const t: OutgoingHttpHeaders = s.metadata !== null ? { ...s.metadata.toHttp2Headers() } : {}
  t['grpc-status'] = String(s.code)
  if (s.details !== '') t['grpc-message'] = encodeGrpcMessage(s.details)
  return t
}

/** A whole response in one header block: no headers were sent and no message will be. */
export function trailersOnly(s: StatusObject, extra?: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const t: OutgoingHttpHeaders = s.metadata !== null ? { ...s.metadata.toHttp2Headers() } : {}
  t[':status'] = 200
  t['content-type'] = GRPC_CONTENT_TYPE
  t['grpc-status'] = String(s.code)
  if (s.details !== '') t['grpc-message'] = encodeGrpcMessage(s.details)
  if (extra) Object.assign(t, extra)
  return t
}

/** application/grpc, application/grpc+proto, application/grpc;… — not grpc-web. */
export function isGrpcContentType(ct: string | undefined): boolean {
  if (ct === undefined || !ct.startsWith(GRPC_CONTENT_TYPE)) return false
  if (ct.length === GRPC_CONTENT_TYPE.length) return true
  const next = ct.charCodeAt(GRPC_CONTENT_TYPE.length)
  return next === 0x2b /* + */ || next === 0x3b /* ; */
}

const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 }

/**
 * grpc-timeout ("1-8 digits then a unit", H M S m u n) in milliseconds, rounded up so a
 * sub-millisecond timeout still expires; undefined when malformed.
 */
export function parseGrpcTimeout(value: string): number | undefined {
  const n = value.length
  if (n < 2 || n > 9) return undefined
  const unit = TIMEOUT_UNIT_MS[value[n - 1]]
  if (unit === undefined) return undefined
  let amount = 0
  for (let i = 0; i < n - 1; i++) {
    const d = value.charCodeAt(i) - 48
    if (d < 0 || d > 9) return undefined
    amount = amount * 10 + d
  }
  return Math.ceil(amount * unit)
}
