/**
 * Plain HTTP on the gRPC port (/health, /version, /metrics): connections are told apart by
 * their first bytes (the HTTP/2 client preface, or anything else for HTTP/1.x) or by TLS
 * ALPN, and HTTP/1 connections go to an http.Server that never listens itself.
 */
import http from 'node:http'
import type http2 from 'node:http2'
import type net from 'node:net'

export type HttpHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void

/** What Go's http.NotFound answers. */
export const notFound: HttpHandler = (_req, res) => {
  res.statusCode = 404
  res.setHeader('content-type', 'text/plain; charset=utf-8')
  res.setHeader('x-content-type-options', 'nosniff')
  res.end('404 page not found\n')
}

export class Http1Fallback {
  private readonly server: http.Server
  private tracking = false

  constructor(handler: HttpHandler) {
    this.server = http.createServer(handler)
  }

  accept(socket: net.Socket): void {
    if (!this.tracking) {
      // What listen() would do: track connections (idle ones, header/request timeouts).
      this.tracking = true
      this.server.emit('listening')
    }
    this.server.emit('connection', socket)
    socket.resume()
  }

  closeIdle(): void {
    this.server.closeIdleConnections()
  }

  /** Stops the connection checker; sockets are closed by their owner. */
  stop(): void {
    if (!this.tracking) return
    this.tracking = false
    this.server.close(() => {})
  }
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')
/** "PRI " is no HTTP/1 method: that much of the preface decides. */
const DECISIVE_BYTES = 4

export type Protocol = 'h2' | 'http/1.1'

/**
 * Reads a connection's first bytes, puts them back and hands the socket on with its
 * protocol. A connection that says nothing for `timeoutMs` is closed.
 */
export function sniffProtocol(
  socket: net.Socket,
  timeoutMs: number,
  route: (socket: net.Socket, protocol: Protocol) => void,
): void {
  let seen: Buffer | null = null
  const timer = setTimeout(() => socket.destroy(), timeoutMs)
  timer.unref()
  const done = (protocol: Protocol): void => {
    clearTimeout(timer)
    socket.removeListener('data', onData)
    socket.removeListener('close', onClose)
    socket.pause()
    socket.unshift(seen!)
    route(socket, protocol)
  }
  const onData = (chunk: Buffer): void => {
    seen = seen === null ? chunk : Buffer.concat([seen, chunk])
    const n = Math.min(seen.length, PREFACE.length)
    if (seen.compare(PREFACE, 0, n, 0, n) !== 0) done('http/1.1')
    else if (n >= DECISIVE_BYTES) done('h2')
  }
  const onClose = (): void => clearTimeout(timer)
  socket.on('data', onData)
  socket.on('close', onClose)
}
