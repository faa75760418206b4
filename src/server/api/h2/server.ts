/**
 * A gRPC server that hosts grpc-js-style services. Listeners (TCP, TLS, unix sockets) only
 * accept connections; each HTTP/2 connection (by TLS ALPN, or by its first bytes in
 * cleartext) goes through the AuthorityGate to tsetcd's own HTTP/2 (connection.ts) when its
 * first request is gRPC, or to a node:http2 server that never listens itself when it is plain
 * HTTP; other connections go to the HTTP/1 fallback. So gRPC and plain HTTP share a port with
 * or without TLS.
 */
import fs from 'node:fs'
import http2, { type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import net from 'node:net'
import tls from 'node:tls'
import { AuthorityGate, RewriteStream } from './authority-gate.js'
import { H2Connection, type FirstBlock, type GateState } from './connection.js'
import { settingsFrame, type Frame } from './h2-frames.js'
import { Http1Fallback, notFound, sniffProtocol, type HttpHandler, type Protocol } from './http1.js'
import { Keepalive, type KeepaliveOptions } from './keepalive.js'
import { Router } from './router.js'
import type { ServiceDefinition, ServiceImplementation } from './types.js'

export interface GrpcServerOptions {
  /** Larger request messages fail with RESOURCE_EXHAUSTED. Default 4 MiB, as gRPC's. */
  maxReceiveMessageBytes?: number
  /** Server pings each connection this often (etcd's --grpc-keepalive-interval, 2h). */
  keepaliveIntervalMs?: number
  /** ...and drops it when the ack takes longer (--grpc-keepalive-timeout, 20s). */
  keepaliveTimeoutMs?: number
  /** Clients may ping this often (--grpc-keepalive-min-time, 5s). */
  keepaliveMinTimeMs?: number
  /** Early client pings tolerated in a row before GOAWAY too_many_pings. Default 2, as Go. */
  maxPingStrikes?: number
  /** SETTINGS_MAX_CONCURRENT_STREAMS. Default 2^32-1. */
  maxConcurrentStreams?: number
  /** Each stream's receive window. Default 1 MiB. */
  initialWindowSize?: number
  /** The connection's receive window. Default 16 MiB. */
  connectionWindowSize?: number
  /** Per-connection memory node's HTTP/2 may use before it refuses new streams. Default 256. */
  maxSessionMemoryMb?: number
  /** Serves requests that are not gRPC; default: 404. */
  httpHandler?: HttpHandler
  /** A connection must say which protocol it speaks within this. Default 10s. */
  firstBytesTimeoutMs?: number
}

export type TlsListenOptions = tls.SecureContextOptions & {
  requestCert?: boolean
  rejectUnauthorized?: boolean
  /** Runs once a handshake completed: a reason to refuse the connection, or undefined. */
  checkPeer?: (socket: tls.TLSSocket) => string | undefined
}

export interface ListenOptions {
  /** Required for https:// and unixs:// URLs. */
  tls?: TlsListenOptions
}

const DEFAULTS = {
  maxReceiveMessageBytes: 4 * 1024 * 1024,
  keepaliveIntervalMs: 2 * 60 * 60 * 1000,
  keepaliveTimeoutMs: 20_000,
  keepaliveMinTimeMs: 5000,
  maxPingStrikes: 2,
  maxConcurrentStreams: 2 ** 32 - 1,
  initialWindowSize: 1 << 20,
  connectionWindowSize: 16 << 20,
  maxSessionMemoryMb: 256,
  firstBytesTimeoutMs: 10_000,
}

export class GrpcServer {
  private readonly opts: typeof DEFAULTS
  private readonly router: Router
  private readonly h2: http2.Http2Server
  private readonly http1: Http1Fallback
  private readonly keepalive: KeepaliveOptions
  private readonly listeners: net.Server[] = []
  private readonly tlsListeners: tls.Server[] = []
  private readonly sessions = new Set<ServerHttp2Session>()
  /** Connections served by tsetcd's own HTTP/2. */
  private readonly connections = new Set<H2Connection>()
  private readonly sockets = new Set<net.Socket>()
  /** HTTP/2 connections whose first request has not come yet. */
  private readonly gates = new Set<AuthorityGate>()
  /** The SETTINGS frame node's HTTP/2 server sends first; the AuthorityGate sends it earlier. */
  private readonly settingsFrame: Buffer
  private stopping = false
  private drained: Promise<void> | null = null
  /** Called when the last connection has closed (while shutting down). */
  private whenEmpty: (() => void) | null = null

  constructor(options: GrpcServerOptions = {}) {
    const o = { ...DEFAULTS }
    for (const [k, v] of Object.entries(options)) if (v !== undefined && k in o) (o as Record<string, unknown>)[k] = v
    this.opts = o
    this.keepalive = {
      intervalMs: o.keepaliveIntervalMs,
      timeoutMs: o.keepaliveTimeoutMs,
      minTimeMs: o.keepaliveMinTimeMs,
      maxPingStrikes: o.maxPingStrikes,
    }
    const httpHandler = options.httpHandler ?? notFound
    this.router = new Router({ maxReceiveMessageBytes: o.maxReceiveMessageBytes, httpHandler })
    this.http1 = new Http1Fallback(httpHandler)
    const settings = {
      maxConcurrentStreams: o.maxConcurrentStreams,
      initialWindowSize: o.initialWindowSize,
      enablePush: false,
    }
    this.h2 = http2.createServer({ maxSessionMemory: o.maxSessionMemoryMb, settings })
    this.settingsFrame = settingsFrame(http2.getPackedSettings(settings))
    this.h2.on('session', (session: ServerHttp2Session) => this.onSession(session))
  }

  /** Registers a service (grpc-js's ServiceDefinition and implementation shapes). */
  addService(definition: ServiceDefinition, implementation: ServiceImplementation): void {
    this.router.addService(definition, implementation)
  }

  /** Call counts per method (see MethodStats). */
  methodStats(): ReturnType<Router['methodStats']> {
    return this.router.methodStats()
  }

  removeService(definition: ServiceDefinition): void {
    this.router.removeService(definition)
  }

  /**
   * Listens on http://host:port, https://host:port (with `tls`), unix://path or
   * unixs://path. Resolves to the bound TCP port (0 for unix sockets).
   */
  async listen(url: string | URL, options: ListenOptions = {}): Promise<number> {
    if (this.stopping) throw new Error('the server is shut down')
    checkListen(typeof url === 'string' ? new URL(url) : url, options)
    return this.adopt(await BoundListener.bind(url), options)
  }

  /**
   * Serves a listener bound before this server was ready (see BoundListener): the connections
   * waiting in it first, then every later one. Returns the bound TCP port (0 for unix sockets).
   */
  adopt(bound: BoundListener, options: ListenOptions = {}): number {
    if (this.stopping) {
      bound.close()
      throw new Error('the server is shut down')
    }
    checkListen(bound.url, options)
    const tlsServer = options.tls !== undefined ? this.tlsListener(options.tls) : undefined
    if (tlsServer !== undefined) this.tlsListeners.push(tlsServer)
    this.listeners.push(bound.server)
    bound.take((socket) => {
      if (!this.track(socket)) return
      if (tlsServer !== undefined) {
        tlsServer.emit('connection', socket)
      } else {
        this.onCleartext(socket)
        socket.resume()
      }
    })
    return bound.port
  }

  /** New certificates for every TLS listener; connections made after this use them. */
  setSecureContext(options: tls.SecureContextOptions): void {
    for (const s of this.tlsListeners) s.setSecureContext(options)
  }

  /** HTTP/2 connections open now. */
  get connectionCount(): number {
    return this.sessions.size + this.connections.size
  }

  /**
   * Stops accepting, lets calls in progress finish (HTTP/2 GOAWAY; clients start new calls
   * elsewhere) for up to `graceMs`, then forces what is left closed.
   */
  tryShutdown(graceMs = 5000): Promise<void> {
    if (this.drained !== null) return this.drained
    this.stopping = true
    this.closeListeners()
    for (const s of this.sessions) if (!s.closed && !s.destroyed) s.close()
    for (const c of this.connections) c.close()
    for (const g of this.gates) g.close(true)
    this.gates.clear()
    this.http1.closeIdle()
    this.drained = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.forceShutdown()
        check()
      }, graceMs)
      const check = (): void => {
        if (this.sockets.size > 0) return
        clearTimeout(timer)
        this.whenEmpty = null
        this.http1.stop()
        resolve()
      }
      this.whenEmpty = check
      check()
    })
    return this.drained
  }

  /** Closes every connection now; calls in progress see 'cancelled'. */
  forceShutdown(): void {
    this.stopping = true
    this.closeListeners()
    for (const s of this.sessions) s.destroy()
    for (const c of this.connections) c.destroy()
    for (const g of this.gates) g.close(false)
    this.gates.clear()
    for (const s of this.sockets) s.destroy()
    this.http1.stop()
  }

  private closeListeners(): void {
    for (const l of this.listeners.splice(0)) l.close()
    this.tlsListeners.length = 0
  }

  private tlsListener(opts: TlsListenOptions): tls.Server {
    const server = tls.createServer({ ...opts, ALPNProtocols: ['h2', 'http/1.1'] })
    const { checkPeer } = opts
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      if (checkPeer?.(socket) !== undefined) {
        socket.destroy()
        return
      }
      if (socket.alpnProtocol === 'h2') this.toHttp2(socket)
      else if (socket.alpnProtocol === 'http/1.1') this.http1.accept(socket)
      else this.onCleartext(socket)
    })
    server.on('tlsClientError', (_err, socket) => socket.destroy())
    return server
  }

  /** Counts a new connection in; false (and closed) while shutting down. */
  private track(socket: net.Socket): boolean {
    if (this.stopping) {
      socket.destroy()
      return false
    }
    this.sockets.add(socket)
    socket.on('error', () => {})
    socket.once('close', () => {
      this.sockets.delete(socket)
      if (this.sockets.size === 0) this.whenEmpty?.()
    })
    return true
  }

  /** A connection that did not say its protocol through ALPN: its first bytes do. */
  private onCleartext(socket: net.Socket): void {
    sniffProtocol(socket, this.opts.firstBytesTimeoutMs, (s: net.Socket, protocol: Protocol) => {
      if (protocol === 'h2') this.toHttp2(s)
      else this.http1.accept(s)
    })
  }

  /** Through the AuthorityGate (see authority-gate.ts) to tsetcd's HTTP/2 or node's. */
  private toHttp2(socket: net.Socket): void {
    // node's HTTP/2 server would take a TLS socket without ALPN for HTTP/1.
    if (socket instanceof tls.TLSSocket && socket.alpnProtocol !== 'h2')
      (socket as { alpnProtocol: string | false }).alpnProtocol = 'h2'
    const gate = new AuthorityGate(
      socket,
      this.settingsFrame,
      this.opts.keepaliveIntervalMs,
      (stream: net.Socket | RewriteStream) => {
        this.gates.delete(gate)
        this.h2.emit('connection', stream)
      },
      (state: GateState, before: Frame[], first: FirstBlock | null, after: Frame[]) => {
        this.gates.delete(gate)
        this.serveGrpc(socket, state, before, first, after)
      },
    )
    this.gates.add(gate)
    socket.once('close', () => this.gates.delete(gate))
  }

  /** tsetcd's own HTTP/2 serves the connection, with keepalive. */
  private serveGrpc(
    socket: net.Socket,
    state: GateState,
    before: Frame[],
    first: FirstBlock | null,
    after: Frame[],
  ): void {
    const router = this.router
    let keepalive: Keepalive | null = null
    const conn = new H2Connection(
      socket,
      {
        initialWindowSize: this.opts.initialWindowSize,
        connectionWindowSize: this.opts.connectionWindowSize,
        maxConcurrentStreams: this.opts.maxConcurrentStreams,
      },
      (stream, headers) => router.dispatch(stream, headers),
      (c) => {
        this.connections.delete(c)
        keepalive!.stop()
      },
      state,
    )
    keepalive = new Keepalive(conn, this.keepalive)
    conn.onPeerPing = () => keepalive.onPeerPing()
    this.connections.add(conn)
    conn.start(before, first, after)
    if (this.stopping) conn.close()
  }

  /** A connection whose first request is plain HTTP, on node's HTTP/2. */
  private onSession(session: ServerHttp2Session): void {
    if (this.stopping) {
      session.destroy()
      return
    }
    this.sessions.add(session)
    session.on('error', () => {})
    session.once('close', () => this.sessions.delete(session))
    try {
      session.setLocalWindowSize(this.opts.connectionWindowSize)
    } catch {
      // The connection is already going away.
    }
    const router = this.router
    session.on(
      'stream',
      (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
        router.dispatchHttp(stream, headers, rawHeaders)
      },
    )
  }
}

/** What a listen URL's scheme says: TLS or not, unix socket or TCP; throws for any other scheme. */
function listenScheme(u: URL): { secure: boolean; unix: boolean } {
  const secure = u.protocol === 'https:' || u.protocol === 'unixs:'
  const unix = u.protocol === 'unix:' || u.protocol === 'unixs:'
  if (!secure && u.protocol !== 'http:' && !unix) throw new Error(`listen ${u.href}: unsupported scheme ${u.protocol}`)
  return { secure, unix }
}

/** The URL schemes a server listens on, and TLS options exactly for the secure ones. */
function checkListen(u: URL, options: ListenOptions): void {
  const { secure } = listenScheme(u)
  if (secure && options.tls === undefined) throw new Error(`listen ${u.href}: TLS options are required`)
  if (!secure && options.tls !== undefined) throw new Error(`listen ${u.href}: TLS options given for a cleartext URL`)
}

/**
 * A listening socket bound before the server that will serve it is ready (a member rebuilding
 * its state on start, as etcd binds its ports first): connections are accepted and wait there,
 * nothing read from them, until GrpcServer.adopt takes them, so a client that connects
 * meanwhile is answered once the server is ready instead of being refused.
 */
export class BoundListener {
  private held: net.Socket[] | null = []
  private handler: ((socket: net.Socket) => void) | null = null

  private constructor(
    readonly url: URL,
    readonly server: net.Server,
  ) {
    server.on('connection', (socket: net.Socket) => this.accepted(socket))
  }

  /** Binds http://host:port, https://host:port, unix://path or unixs://path. */
  static async bind(url: string | URL): Promise<BoundListener> {
    const u = typeof url === 'string' ? new URL(url) : url
    const { unix } = listenScheme(u)
    // Paused: nothing is read (a TLS handshake included) before the server takes the socket.
    const server = net.createServer({ noDelay: true, pauseOnConnect: true })
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => reject(new Error(`listen ${u.href}: ${err.message}`))
      server.once('error', fail)
      const ready = (): void => {
        server.removeListener('error', fail)
        resolve()
      }
      if (unix) {
        const p = u.pathname || u.host
        if (fs.existsSync(p) && fs.statSync(p).isSocket()) fs.unlinkSync(p)
        server.listen(p, ready)
      } else {
        server.listen(Number(u.port), u.hostname.replace(/^\[(.*)\]$/, '$1'), ready)
      }
    })
    server.on('error', () => {})
    return new BoundListener(u, server)
  }

  /** The bound TCP port (0 for a unix socket). */
  get port(): number {
    const addr = this.server.address()
    return typeof addr === 'object' && addr !== null ? addr.port : 0
  }

  /** Connections accepted and waiting to be taken. */
  get waiting(): number {
    return this.held?.length ?? 0
  }

  /** Hands the waiting connections to `handler`, and every later one. */
  take(handler: (socket: net.Socket) => void): void {
    const held = this.held ?? []
    this.held = null
    this.handler = handler
    for (const s of held) if (!s.destroyed) handler(s)
  }

  /** Stops listening and drops the waiting connections; nothing once taken (the server closes it). */
  close(): void {
    if (this.held === null) return
    for (const s of this.held) s.destroy()
    this.held = null
    this.server.close()
  }

  private accepted(socket: net.Socket): void {
    if (this.handler !== null) return this.handler(socket)
    const held = this.held
    if (held === null) {
      socket.destroy()
      return
    }
    socket.on('error', () => {})
    held.push(socket)
    socket.once('close', () => {
      const i = held.indexOf(socket)
      if (i >= 0) held.splice(i, 1)
    })
  }
}
