/**
 * gRPC status codes, and how a handler's error becomes the status sent to the client
 * (the same rules grpc-js applies, so handlers written for grpc-js behave the same here).
 */
import type { MetadataLike, ServerErrorResponse, StatusObject } from './types.js'

export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const

export type StatusCode = (typeof Status)[keyof typeof Status]

export function status(code: number, details: string, metadata: MetadataLike | null = null): StatusObject {
  return { code, details, metadata }
}

/**
 * The status for an error a handler reported: an integer `code` is taken as is (with
 * `details` when it is a string), anything else is UNKNOWN with the error's message.
 * `trailer`, when given, replaces the error's own metadata.
 */
export function toStatus(err: ServerErrorResponse | Error | unknown, trailer?: MetadataLike | null): StatusObject {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ServerErrorResponse
  let code: number = Status.UNKNOWN
  let details = typeof e.message === 'string' ? e.message : 'Unknown Error'
  if (typeof e.code === 'number' && Number.isInteger(e.code)) {
    code = e.code
    if (typeof e.details === 'string') details = e.details
  }
  return { code, details, metadata: trailer ?? e.metadata ?? null }
}

/**
 * grpc-message is percent-encoded UTF-8: bytes outside printable ASCII, and '%' itself,
 * become %XX (the gRPC over HTTP/2 spec).
 */
export function encodeGrpcMessage(message: string): string {
  let plain = true
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false
      break
    }
  }
  if (plain) return message
  let out = ''
  for (const byte of Buffer.from(message, 'utf8')) {
    if (byte < 0x20 || byte > 0x7e || byte === 0x25) out += '%' + HEX[byte >> 4] + HEX[byte & 15]
    else out += String.fromCharCode(byte)
  }
  return out
}

/** The inverse of `encodeGrpcMessage` (encoded messages are ASCII); malformed escapes are kept. */
export function decodeGrpcMessage(encoded: string): string {
  if (!encoded.includes('%')) return encoded
  const latin1 = encoded.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
  return Buffer.from(latin1, 'latin1').toString('utf8')
}

const HEX = '0123456789ABCDEF'
