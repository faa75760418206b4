/**
 * The surface handlers see: the subset of grpc-js's server API (service definitions,
 * implementations, call objects, errors) that tsetcd's handlers use, so the same handler
 * functions run on this server and on grpc-js's.
 */
import type { OutgoingHttpHeaders } from 'node:http2'
import type { UntypedServiceImplementation as GrpcJsServiceImplementation } from '@grpc/grpc-js'
import type { Metadata } from './metadata.js'

/** Anything that can become trailers: this module's Metadata and grpc-js's. */
export interface MetadataLike {
  toHttp2Headers(): OutgoingHttpHeaders
}

/** What the transport knows about the client (grpc-js's AuthContext). */
export interface AuthContext {
  transportSecurityType?: string
  /** Set only for a certificate the server verified. */
  sslPeerCertificate?: { subject?: { CN?: string | string[] } }
}

/** When the client wants the call over: ms since the epoch (Infinity: no deadline). */
export type Deadline = Date | number

export interface StatusObject {
  code: number
  details: string
  metadata: MetadataLike | null
}

/** What a handler may report as an error (grpc-js's ServiceError shape; an Error works too). */
export interface ServerErrorResponse {
  code?: number
  details?: string
  message?: string
  metadata?: MetadataLike | null
}

export interface MethodDefinition<Req = unknown, Res = unknown> {
  path: string
  requestStream: boolean
  responseStream: boolean
  requestDeserialize: (bytes: Buffer) => Req
  responseSerialize: (value: Res) => Buffer
  /**
   * The response encoded after `room` free bytes, where a unary call writes its gRPC prefix
   * instead of copying the message after it (worth it for large answers: a Range).
   */
  responseSerializeWithRoom?: (value: Res, room: number) => Buffer
  originalName?: string
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ServiceDefinition = { readonly [method: string]: MethodDefinition<any, any> }

type Listener = (...args: any[]) => void // eslint-disable-line @typescript-eslint/no-explicit-any

/** The event methods every call has (EventEmitter's, for the events a call emits). */
export interface CallEvents {
  on(event: string, listener: Listener): this
  addListener(event: string, listener: Listener): this
  once(event: string, listener: Listener): this
  prependListener(event: string, listener: Listener): this
  off(event: string, listener: Listener): this
  removeListener(event: string, listener: Listener): this
  removeAllListeners(event?: string): this
  emit(event: string, ...args: unknown[]): boolean
  listenerCount(event: string): number
}

/**
 * What every call offers. Events: 'cancelled' (the client went away, or the deadline
 * passed, before the status was sent).
 */
export interface ServerSurfaceCall extends CallEvents {
  readonly cancelled: boolean
  readonly metadata: Metadata
  getPeer(): string
  /** The peer certificate the TLS handshake verified (grpc-js's AuthContext); {} on a plain connection. */
  getAuthContext(): AuthContext
  getDeadline(): Deadline
  getPath(): string
  getHost(): string
  /** Sends response headers now (before any message), with this metadata added. */
  sendMetadata(responseMetadata: MetadataLike): void
}

export interface ServerUnaryCall<Req> extends ServerSurfaceCall {
  readonly request: Req
}

export type WriteCallback = (error?: Error | null) => void

/**
 * The sending side of a streaming call. `write` returns false once the HTTP/2 stream's
 * buffer is full; 'drain' follows when it has room again. `end` sends an OK status, with
 * trailing metadata if given. `emit('error', err)` or `destroy(err)` ends the call with the
 * error's status. Events: 'drain', 'error', 'cancelled', 'close' (the call is over).
 */
export interface ObjectWritableCall<Res> {
  write(message: Res, callback?: WriteCallback): boolean
  end(metadata?: MetadataLike, callback?: () => void): void
  destroy(error?: ServerErrorResponse | Error): void
  readonly writable: boolean
  readonly writableNeedDrain: boolean
}

/**
 * The receiving side: 'data' with each deserialized request, 'end' when the client has
 * half-closed. Messages wait (and the HTTP/2 stream stops reading) while nothing listens
 * for 'data' or while paused.
 */
export interface ObjectReadableCall {
  pause(): this
  resume(): this
  isPaused(): boolean
}

export interface ServerWritableStream<Req, Res> extends ServerSurfaceCall, ObjectWritableCall<Res> {
  readonly request: Req
}

export interface ServerReadableStream<Req> extends ServerSurfaceCall, ObjectReadableCall {
  on(event: 'data', listener: (request: Req) => void): this
  on(event: string, listener: Listener): this
}

export interface ServerDuplexStream<Req, Res> extends ServerSurfaceCall, ObjectReadableCall, ObjectWritableCall<Res> {
  on(event: 'data', listener: (request: Req) => void): this
  on(event: string, listener: Listener): this
}

export type SendUnaryData<Res> = (
  error: ServerErrorResponse | Error | null,
  value?: Res | null,
  trailer?: MetadataLike | null,
  flags?: number,
) => void

export type HandleUnaryCall<Req, Res> = (call: ServerUnaryCall<Req>, callback: SendUnaryData<Res>) => void
export type HandleClientStreamingCall<Req, Res> = (
  call: ServerReadableStream<Req>,
  callback: SendUnaryData<Res>,
) => void
export type HandleServerStreamingCall<Req, Res> = (call: ServerWritableStream<Req, Res>) => void
export type HandleBidiStreamingCall<Req, Res> = (call: ServerDuplexStream<Req, Res>) => void

/* eslint-disable @typescript-eslint/no-explicit-any */
export type UntypedHandleCall =
  | HandleUnaryCall<any, any>
  | HandleClientStreamingCall<any, any>
  | HandleServerStreamingCall<any, any>
  | HandleBidiStreamingCall<any, any>
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface UntypedServiceImplementation {
  [method: string]: UntypedHandleCall
}

/** Implementations typed against this module or against grpc-js are both accepted. */
export type ServiceImplementation = UntypedServiceImplementation | GrpcJsServiceImplementation
