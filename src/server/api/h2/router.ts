/**
 * Methods by path, and what happens to each incoming HTTP/2 stream: a gRPC call for a known
 * method, an UNIMPLEMENTED status for an unknown one, or the plain HTTP handler for
 * requests that are not gRPC (curl --http2-prior-knowledge /health).
 */
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import { newMethodStats, type CallKind, type ConnectionActivity, type MethodStats, type Route } from './call.js'
import { END_STREAM, isGrpcContentType, parseGrpcTimeout, trailersOnly } from './headers.js'
import type { HttpHandler } from './http1.js'
import { Status, status } from './status.js'
import { StreamCall } from './stream-call.js'
import type { ServiceDefinition, ServiceImplementation, UntypedHandleCall } from './types.js'
import { UnaryCall } from './unary-call.js'

export interface RouterOptions {
  maxReceiveMessageBytes: number
  httpHandler: HttpHandler
}

function kindOf(requestStream: boolean, responseStream: boolean): CallKind {
  if (requestStream) return responseStream ? 'bidi' : 'clientStream'
  return responseStream ? 'serverStream' : 'unary'
}

function ignore(): void {}

export class Router {
  private readonly routes = new Map<string, Route>()

  constructor(private readonly opts: RouterOptions) {}

  /** Registers a service's methods; a method without an implementation stays UNIMPLEMENTED. */
  addService(definition: ServiceDefinition, implementation: ServiceImplementation): void {
    const names = Object.keys(definition)
    if (names.length === 0) throw new Error('Cannot add an empty service to a server')
    for (const name of names) {
      const m = definition[name]
      const impl =
        (implementation as Record<string, UntypedHandleCall | undefined>)[name] ??
        (m.originalName !== undefined
          ? (implementation as Record<string, UntypedHandleCall | undefined>)[m.originalName]
          : undefined)
      if (impl === undefined) continue
      if (this.routes.has(m.path)) throw new Error(`Method handler for ${m.path} already provided.`)
      this.routes.set(m.path, {
        path: m.path,
        kind: kindOf(m.requestStream, m.responseStream),
        handler: impl.bind(implementation) as UntypedHandleCall,
        deserialize: m.requestDeserialize,
        serialize: m.responseSerialize as (v: unknown) => Buffer,
        stats: newMethodStats(),
      })
    }
  }

  removeService(definition: ServiceDefinition): void {
    for (const m of Object.values(definition)) this.routes.delete(m.path)
  }

  /** Every registered method with its call counts (live objects: read them, don't keep them). */
  methodStats(): { path: string; kind: CallKind; stats: MethodStats }[] {
    return [...this.routes.values()].map((r) => ({ path: r.path, kind: r.kind, stats: r.stats }))
  }

  has(path: string): boolean {
    return this.routes.has(path)
  }

  /** An HTTP/2 stream arrived on `connection`. */
  dispatch(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    rawHeaders: string[],
    connection: ConnectionActivity,
  ): void {
    // Stream errors (the client reset it, the connection broke) surface as 'close'.
    stream.on('error', ignore)
    connection.activity++
    if (!isGrpcContentType(headers['content-type'])) {
      this.plainHttp(stream, headers, rawHeaders)
      return
    }
    const path = headers[':path']!
    if (headers[':method'] !== 'POST') {
      stream.respond({ ':status': 405, allow: 'POST' }, END_STREAM)
      stream.resume()
      return
    }
    const route = this.routes.get(path)
    if (route === undefined) {
      this.refuse(stream, Status.UNIMPLEMENTED, `The server does not implement the method ${path}`)
      return
    }
    let timeoutMs: number | undefined
    const timeout = headers['grpc-timeout']
    if (timeout !== undefined) {
      timeoutMs = parseGrpcTimeout(timeout as string)
      if (timeoutMs === undefined) {
        this.refuse(stream, Status.INTERNAL, `grpc: malformed grpc-timeout: ${timeout}`)
        return
      }
    }
    const max = this.opts.maxReceiveMessageBytes
    if (route.kind === 'unary') new UnaryCall(stream, headers, route, connection, max, timeoutMs)
    else new StreamCall(stream, headers, route, connection, max, timeoutMs).start()
  }

  private refuse(stream: ServerHttp2Stream, code: number, details: string): void {
    stream.respond(trailersOnly(status(code, details)), END_STREAM)
    stream.resume()
  }

  private plainHttp(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[]): void {
    const req = new http2.Http2ServerRequest(stream, headers, undefined as never, rawHeaders)
    const res = new http2.Http2ServerResponse(stream)
    this.opts.httpHandler(req, res)
  }
}
