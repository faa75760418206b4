/**
 * Call objects for the gateway: what the gRPC service handlers expect of a call (request,
 * metadata, deadline, 'cancelled', and for streams 'data'/'end', write/end/destroy), backed
 * by one HTTP request and its response, so the gateway runs the very handlers gRPC runs.
 */
import { EventEmitter } from 'node:events'
import type http from 'node:http'
import type http2 from 'node:http2'
import { Metadata } from '../h2/metadata.js'

export type HttpRequest = http.IncomingMessage | http2.Http2ServerRequest
export type HttpResponse = http.ServerResponse | http2.Http2ServerResponse

/** A call's request metadata: the Authorization header becomes the `token` an auth layer reads. */
export function requestMetadata(req: HttpRequest): Metadata {
  const md = new Metadata()
  const auth = req.headers.authorization
  if (auth !== undefined) {
    md.set('token', auth)
    md.set('authorization', auth)
  }
  return md
}

/** The surface every call has; 'cancelled' when the HTTP client goes away before the answer. */
export class GatewayCall extends EventEmitter {
  cancelled = false
  readonly metadata: Metadata

  constructor(
    protected readonly req: HttpRequest,
    protected readonly res: HttpResponse,
    private readonly path: string,
  ) {
    super()
    this.metadata = requestMetadata(req)
    res.on('close', () => {
      if (!res.writableFinished && !this.cancelled) {
        this.cancelled = true
        this.emit('cancelled')
      }
    })
  }

  getDeadline(): number {
    return Infinity
  }

  getPeer(): string {
    return `${this.req.socket?.remoteAddress ?? ''}:${this.req.socket?.remotePort ?? ''}`
  }

  getPath(): string {
    return this.path
  }

  getHost(): string {
    return this.req.headers.host ?? ''
  }

  sendMetadata(): void {}
}

/** A unary call: the request as the services' deserializer hands it over (with its size). */
export class GatewayUnaryCall<Req> extends GatewayCall {
  constructor(
    req: HttpRequest,
    res: HttpResponse,
    path: string,
    readonly request: { req: Req; size: number },
  ) {
    super(req, res, path)
  }
}

/**
 * A streaming call. Messages written go through `render` (one line of newline-delimited
 * JSON each); `fail` renders a status that ends the stream. Events the handlers listen
 * for: 'data' (a request), 'end' (no more requests), 'drain', 'error', 'cancelled', 'close'.
 */
export class GatewayStreamCall<Req, Res> extends GatewayCall {
  private over = false
  private paused = false
  private corked = 0
  private closed = false

  constructor(
    req: HttpRequest,
    res: HttpResponse,
    path: string,
    private readonly render: (message: Res) => string,
    private readonly fail: (code: number, details: string) => void,
    readonly request?: Req,
  ) {
    super(req, res, path)
    res.on('drain', () => this.emit('drain'))
    res.on('close', () => this.finish())
    // A handler ends a stream with an error by emitting it (or destroying the call).
    this.on('error', (err: { code?: number; details?: string; message?: string }) => {
      if (this.over) return
      this.over = true
      this.fail(err.code ?? 2, err.details ?? err.message ?? '')
      this.finish()
    })
  }

  get writable(): boolean {
    return !this.over
  }

  get writableNeedDrain(): boolean {
    return this.res.writableNeedDrain
  }

  pause(): this {
    this.paused = true
    return this
  }

  resume(): this {
    this.paused = false
    return this
  }

  isPaused(): boolean {
    return this.paused
  }

  cork(): void {
    this.corked++
    this.res.cork?.()
  }

  uncork(): void {
    if (this.corked === 0) return
    this.corked--
    this.res.uncork?.()
  }

  write(message: Res, callback?: (err?: Error | null) => void): boolean {
    if (this.over) {
      if (callback) process.nextTick(callback)
      return false
    }
    return (this.res as http.ServerResponse).write(this.render(message), (err) => callback?.(err ?? null))
  }

  end(): void {
    if (this.over) return
    this.over = true
    this.res.end()
    this.finish()
  }

  destroy(err?: { code?: number; details?: string; message?: string }): void {
    if (err !== undefined) this.emit('error', err)
    else this.end()
  }

  private finish(): void {
    this.over = true
    if (this.closed) return
    this.closed = true
    this.emit('close')
  }
}
