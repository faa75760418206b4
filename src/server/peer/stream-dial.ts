/**
 * Opening a message stream to a peer: a connection of its own (see `dialPeer`), an HTTP/1.1
 * POST to PATH_STREAM asking to upgrade to UPGRADE_TOKEN with the handshake headers, and, once
 * the peer answers 101, the bare connection. From then on the sender writes length-delimited
 * messages straight to the socket: a write leaves in the same turn of the event loop, where a
 * write to an HTTP/2 stream waits for node's HTTP/2 session to send it from a later one.
 *
 * A peer that refuses answers with a status and HEADER_REJECT_REASON; any other answer comes
 * from a member that predates upgraded streams (its HTTP/1.1 API answers 404), which takes
 * messages on an HTTP/2 request instead.
 */
import http from 'node:http'
import type net from 'node:net'
import type tls from 'node:tls'
import type { NodeId } from '../../raft/types.js'
import { HEADER_REJECT_REASON, PATH_STREAM, upgradeHeaders } from './handshake.js'
import { dialPeer, isSecureUrl } from './url-schemes.js'

export type StreamDial =
  /** The peer took the stream: write messages to `socket`. */
  | { kind: 'open'; socket: net.Socket }
  /** The peer refused the handshake. */
  | { kind: 'refused'; status: number; headers: http.IncomingHttpHeaders }
  /** The peer does not know upgraded streams. */
  | { kind: 'legacy' }
  /** The connection failed before an answer. */
  | { kind: 'failed'; error: Error }

/** A connection to `u` closed before the stream handshake was answered. */
export function closedBeforeHandshake(u: URL): Error {
  return new Error(
    isSecureUrl(u)
      ? "peer closed the connection before answering the stream handshake (does it trust this member's client certificate?)"
      : 'peer closed the connection before answering the stream handshake',
  )
}

/**
 * Dials `u` and asks for a message stream from `from` to `to`; calls `done` once, with the
 * outcome. The returned function abandons the attempt (no call).
 */
export function dialStream(
  u: URL,
  tlsOptions: tls.ConnectionOptions,
  ids: { from: NodeId; to: NodeId; clusterId: NodeId },
  done: (outcome: StreamDial) => void,
): () => void {
  let settled = false
  let socket: net.Socket | undefined
  const settle = (outcome: StreamDial): void => {
    if (settled) return
    settled = true
    done(outcome)
  }
  const req = http.request({
    method: 'POST',
    path: PATH_STREAM,
    host: u.hostname,
    headers: upgradeHeaders(ids.from, ids.to, ids.clusterId),
    createConnection: () => (socket = dialPeer(u, tlsOptions, 'http/1.1')),
  })
  req.on('upgrade', (_res: http.IncomingMessage, sock: net.Socket, head: Buffer) => {
    if (settled) {
      sock.destroy()
      return
    }
    // The receiver never writes after its 101: anything else means a confused peer.
    if (head.length > 0) {
      sock.destroy()
      settle({ kind: 'failed', error: new Error('peer wrote on a message stream after accepting it') })
      return
    }
    settle({ kind: 'open', socket: sock })
  })
  req.on('response', (res: http.IncomingMessage) => {
    res.resume()
    res.on('error', () => {})
    socket?.destroy()
    if (typeof res.headers[HEADER_REJECT_REASON] === 'string')
      settle({ kind: 'refused', status: res.statusCode ?? 0, headers: res.headers })
    else settle({ kind: 'legacy' })
  })
  req.on('error', (error) => settle({ kind: 'failed', error }))
  req.on('close', () => settle({ kind: 'failed', error: closedBeforeHandshake(u) }))
  req.end()
  return () => {
    settled = true
    req.destroy()
    socket?.destroy()
  }
}
