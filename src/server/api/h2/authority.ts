/**
 * Which :authority values node's HTTP/2 (nghttp2) takes, and what to put instead of those it
 * refuses. nghttp2 resets a stream whose :authority or host is empty or holds a byte
 * outside the set below (nghttp2_check_authority: no '/', '#', '?', space, ...), while Go's
 * gRPC server (so etcd) takes anything. etcd's Go clients send such values: clientv3 3.4
 * dials one endpoint by its whole URL ("http://127.0.0.1:2379") for Maintenance calls and
 * `--cluster` commands, and clientv3 3.5.0-3.5.7 sends "#initially=[...]".
 */
import { encodeHeaderBlock, type HeaderField, type HpackDecoder } from './hpack.js'
import { headerFrames, type HeaderBlockFrames } from './h2-frames.js'

/** Bytes nghttp2 accepts in :authority and host (node 20's, checked byte by byte). */
const VALID = new Uint8Array(256)
for (const c of "!$%&'()*+,-.0123456789:;=@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]_abcdefghijklmnopqrstuvwxyz~")
  VALID[c.charCodeAt(0)] = 1

/** Whether nghttp2 would take this :authority (latin1). */
export function validAuthority(s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff || VALID[c] !== 1) return false
  }
  return true
}

/** A valid stand-in: the host:port of a URL ("http://h:p/..." gives "h:p"), else "localhost". */
export function sanitizeAuthority(s: string): string {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(s)
  if (m !== null && validAuthority(m[1]!)) return m[1]!
  return 'localhost'
}

function isAuthorityField(name: string): boolean {
  return name === ':authority' || name === 'host'
}

/** Whether any :authority or host field is one nghttp2 refuses. */
export function needsRewrite(fields: readonly HeaderField[]): boolean {
  for (const f of fields) if (isAuthorityField(f.name) && !validAuthority(f.value)) return true
  return false
}

/** The fields with every refused :authority or host value replaced. */
export function sanitizeFields(fields: HeaderField[]): HeaderField[] {
  return fields.map((f) =>
    isAuthorityField(f.name) && !validAuthority(f.value) ? { ...f, value: sanitizeAuthority(f.value) } : f,
  )
}

/**
 * A decoded header block re-encoded for a decoder whose dynamic table stays empty, with
 * refused authorities replaced, as HEADERS (+ CONTINUATION) frames.
 */
export function rewriteBlock(
  block: HeaderBlockFrames,
  fields: HeaderField[],
  tableSizeUpdates: number[],
  maxFrameSize?: number,
): Buffer {
  const encoded = encodeHeaderBlock(sanitizeFields(fields), { tableSizeUpdates })
  return headerFrames(block.streamId, block.endStream, block.priority, encoded, maxFrameSize)
}

/** Decodes `block` with the client's table and rewrites it (throws HpackError). */
export function decodeAndRewrite(decoder: HpackDecoder, block: HeaderBlockFrames, maxFrameSize?: number): Buffer {
  const { fields, tableSizeUpdates } = decoder.decode(block.fragment)
  return rewriteBlock(block, fields, tableSizeUpdates, maxFrameSize)
}
