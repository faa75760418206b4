/**
 * The receiving side's answers to a message stream's upgrade request, written on the bare
 * connection (node's HTTP/1.1 server hands an upgrade request over unanswered): 101 with the
 * member's identity headers, after which the connection carries the peer's messages, or a
 * refusal with its status, reason (header and body) and identity headers, then the end.
 */
import http from 'node:http'
import type net from 'node:net'
import { HEADER_REJECT_REASON, UPGRADE_TOKEN, headerSafe } from './handshake.js'

type Headers = Record<string, string>

function headerLines(h: Headers): string {
  let s = ''
  for (const k of Object.keys(h)) s += `${k}: ${headerSafe(h[k])}\r\n`
  return s
}

export function acceptUpgrade(socket: net.Socket, identity: Headers): void {
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${UPGRADE_TOKEN}\r\n${headerLines(identity)}\r\n`,
  )
}

export function refuseUpgrade(socket: net.Socket, status: number, reason: string, identity: Headers = {}): void {
  const body = reason + '\n'
  const head =
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Refused'}\r\n` +
    `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n` +
    headerLines({ [HEADER_REJECT_REASON]: reason, ...identity })
  socket.end(head + '\r\n' + body)
}
