/**
 * Methods by path, and what happens to each incoming HTTP/2 stream: a gRPC call for a known
 * method, an UNIMPLEMENTED status for an unknown one, or the plain HTTP handler for
 * requests that are not gRPC (curl --http2-prior-knowledge /health).
 *
 * A connection whose first request is gRPC is served by tsetcd's own HTTP/2 (connection.ts,
 * `dispatch`); one whose first request is plain HTTP by node's (`dispatchHttp`).
 */
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import { newMethodStats, type CallKind, type MethodStats, type Route } from './call.js'
import { encodeHeaders, END_STREAM, isGrpcContentType, parseGrpcTimeout, trailersOnly } from './headers.js'
import type { H2Stream } from './h2-stream.js'
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
        serializeWithRoom: m.responseSerializeWithRoom as ((v: unknown, room: number) => Buffer) | undefined,
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

  /** A request on one of tsetcd's own HTTP/2 connections. */
  dispatch(stream: H2Stream, headers: IncomingHttpHeaders): void {
    if (!isGrpcContentType(headers['content-type'])) {
      // Plain HTTP is served on connections that start with it (node's HTTP/2, dispatchHttp).
      stream.respond(NOT_FOUND_BLOCK, true)
      return
    }
    const path = headers[':path']!
    if (headers[':method'] !== 'POST') {
      stream.respond(METHOD_NOT_ALLOWED_BLOCK, true)
      return
    }
    const route = this.routes.get(path)
    if (route === undefined) {
      refuse(stream, Status.UNIMPLEMENTED, `The server does not implement the method ${path}`)
      return
    }
    let timeoutMs: number | undefined
    const timeout = headers['grpc-timeout']
    if (timeout !== undefined) {
      timeoutMs = parseGrpcTimeout(timeout as string)
      if (timeoutMs === undefined) {
        refuse(stream, Status.INTERNAL, `grpc: malformed grpc-timeout: ${timeout}`)
        return
      }
    }
    const max = this.opts.maxReceiveMessageBytes
    if (route.kind === 'unary') new UnaryCall(stream, headers, route, max, timeoutMs)
    else new StreamCall(stream, headers, route, max, timeoutMs).start()
  }

  /** A request on a connection node's HTTP/2 serves (its first request was plain HTTP). */
  dispatchHttp(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[]): void {
    // Stream errors (the client reset it, the connection broke) surface as 'close'.
    stream.on('error', ignore)
    if (isGrpcContentType(headers['content-type'])) {
      stream.respond(
        trailersOnly(status(Status.UNIMPLEMENTED, 'gRPC is served on connections whose first request is gRPC')),
        END_STREAM,
      )
      stream.resume()
      return
    }
    const req = new http2.Http2ServerRequest(stream, headers, undefined as never, rawHeaders)
    const res = new http2.Http2ServerResponse(stream)
    this.opts.httpHandler(req, res)
  }
}

const NOT_FOUND_BLOCK = encodeHeaders({ ':status': 404, 'content-type': 'text/plain; charset=utf-8' })
const METHOD_NOT_ALLOWED_BLOCK = encodeHeaders({ ':status': 405, allow: 'POST' })

function refuse(stream: H2Stream, code: number, details: string): void {
  stream.respond(encodeHeaders(trailersOnly(status(code, details))), true)
}
