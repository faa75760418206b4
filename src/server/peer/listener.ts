/**
 * One listening socket for one --listen-peer-urls entry.
 *
 * https: an HTTP/2 TLS server that also speaks HTTP/1.1 (ALPN), for the GET API and the
 *        message streams' upgrades.
 * http:  a TCP server that looks at each connection's first bytes: the HTTP/2 connection
 *        preface ("PRI * HTTP/2.0") goes to the HTTP/2 server (prior knowledge, as peers dial),
 *        anything else to an HTTP/1.1 server that serves the GET API and the upgrades.
 * unixs:, unix: the same as https: and http:, on a unix socket (see url-schemes.ts).
 * `close()` ends every connection at once, so stopping never waits on a peer.
 */
import http from 'node:http'
import http2 from 'node:http2'
import net from 'node:net'
import type { TLSSocket } from 'node:tls'
import { checkAllowedCN, serverTlsOptions, type TlsMaterial } from './tls.js'
import type { TransportLogger } from './types.js'
import { isSecureUrl, isUnixUrl, listenUnix } from './url-schemes.js'

export interface ListenerHandlers {
  /** Every HTTP/2 stream: raft streams, snapshots, and the GET API. */
  onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void
  /** An HTTP/1.x request: the GET API only. */
  onRequest(req: http.IncomingMessage, res: http.ServerResponse): void
  /** An HTTP/1.1 request to upgrade its connection: a message stream. */
  onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void
}

/** Receive windows that let a busy stream move data at LAN speed while still bounding memory. */
export const STREAM_WINDOW_BYTES = 1 << 20
export const SESSION_WINDOW_BYTES = 4 << 20

const H2_PREFACE = Buffer.from('PRI')

export class PeerListener {
  private readonly sockets = new Set<net.Socket>()
  private readonly sessions = new Set<http2.ServerHttp2Session>()
  private closed = false
  private boundUrl = ''

  private constructor(private readonly server: net.Server) {}

  /** The URL as listened on, with the port actually bound. */
  get url(): string {
    return this.boundUrl
  }

  static async listen(
    rawUrl: string,
    tls: TlsMaterial | undefined,
    handlers: ListenerHandlers,
    log: TransportLogger,
  ): Promise<PeerListener> {
    const url = new URL(rawUrl)
    if (url.protocol !== 'http:' && url.protocol !== 'https:' && !isUnixUrl(url))
      throw new Error(`listen-peer-urls: unsupported scheme in ${rawUrl}`)
    const secure = isSecureUrl(url)
    if (secure && tls === undefined)
      throw new Error(`listen-peer-urls: ${rawUrl} needs the peer TLS certificate and key`)
    const settings = { initialWindowSize: STREAM_WINDOW_BYTES }
    const onSession = (s: http2.ServerHttp2Session): void => {
      listener.sessions.add(s)
      s.on('close', () => listener.sessions.delete(s))
      s.on('error', (err) => log.debug('peer session error', { error: err.message }))
      try {
        s.setLocalWindowSize(SESSION_WINDOW_BYTES)
      } catch {
        // the session may already be closing
      }
    }
    let server: net.Server
    if (secure) {
      const m = tls!
      const h2 = http2.createSecureServer({ ...serverTlsOptions(m), allowHTTP1: true, settings })
      h2.on('stream', handlers.onStream)
      h2.on('request', (req, res) => {
        if (req.httpVersionMajor >= 2) return
        handlers.onRequest(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse)
      })
      h2.on('session', onSession)
      h2.on('upgrade', handlers.onUpgrade)
      h2.on('secureConnection', (sock: TLSSocket) => {
        const reason = checkAllowedCN(m, sock)
        if (reason !== undefined) {
          log.warn('rejected peer connection', { remote: sock.remoteAddress, reason })
          sock.destroy()
        }
      })
      h2.on('tlsClientError', (err) => log.debug('peer TLS handshake failed', { error: err.message }))
      server = h2
    } else {
      const h2 = http2.createServer({ settings })
      h2.on('stream', handlers.onStream)
      h2.on('session', onSession)
      const h1 = http.createServer(handlers.onRequest)
      h1.on('upgrade', handlers.onUpgrade)
      server = net.createServer((sock) => sniff(sock, h2, h1))
    }
    const listener: PeerListener = new PeerListener(server)
    server.on('connection', (sock: net.Socket) => {
      // Raft's small messages must not wait for the previous segment's ACK (no Nagle).
      sock.setNoDelay(true)
      listener.sockets.add(sock)
      sock.on('close', () => listener.sockets.delete(sock))
    })
    if (isUnixUrl(url)) {
      await listenUnix(server, url)
      listener.boundUrl = rawUrl
    } else {
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
      const port = url.port === '' ? 2380 : Number(url.port)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      const bound = (server.address() as net.AddressInfo).port
      listener.boundUrl = `${url.protocol}//${url.hostname}:${bound}`
    }
    server.on('error', (err) => log.warn('peer listener error', { url: rawUrl, error: err.message }))
    return listener
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const s of this.sessions) s.destroy()
    for (const s of this.sockets) s.destroy()
    await done
  }
}

function sniff(sock: net.Socket, h2: http2.Http2Server, h1: http.Server): void {
  let head: Buffer = Buffer.alloc(0)
  const onError = (): void => {
    sock.destroy()
  }
  sock.on('error', onError)
  const onReadable = (): void => {
    let chunk: Buffer | null
    while ((chunk = sock.read() as Buffer | null) !== null)
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk])
    if (head.length < H2_PREFACE.length && !sock.readableEnded) return
    sock.off('readable', onReadable)
    sock.off('error', onError)
    sock.unshift(head)
    const isH2 = head.subarray(0, H2_PREFACE.length).equals(H2_PREFACE)
    ;(isH2 ? h2 : h1).emit('connection', sock)
  }
  sock.on('readable', onReadable)
}
