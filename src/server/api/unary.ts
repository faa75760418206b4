/**
 * Glue between grpc-js and the handlers: service definitions whose deserializer keeps the
 * request's encoded size (for --max-request-bytes), and a unary wrapper that fills the
 * response header and turns errors into gRPC statuses. Handlers get the call's context: a
 * call whose deadline has passed before it starts answers DEADLINE_EXCEEDED ("context
 * deadline exceeded", as grpc-go) without reaching the core.
 */
import type { sendUnaryData, ServerUnaryCall, ServiceDefinition, UntypedHandleCall } from '@grpc/grpc-js'
import { Errors } from '../../errors/rpctypes.js'
import type { CallContext, CoreHeader } from '../etcdserver/core.js'
import { callContext } from './call-context.js'
import type { ResponseHeaderInit } from '../../gen/etcdserverpb.js'
import { toGrpcError } from './grpc-errors.js'
import type { Limits } from './limits.js'

export interface Sized<T> {
  req: T
  size: number
}

interface MethodTable {
  [name: string]: {
    path: string
    requestStream: boolean
    responseStream: boolean
    requestDeserialize: (b: Buffer) => unknown
    responseSerialize: (v: never) => Buffer
    responseSerializeWithRoom?: (v: never, room: number) => Buffer
    requestSerialize: (v: never) => Buffer
    responseDeserialize: (b: Buffer) => unknown
  }
}

/** A grpc-js service definition from a generated method table; requests arrive as `Sized`. */
export function serviceDefinition(table: MethodTable): ServiceDefinition {
  const def: Record<string, unknown> = {}
  for (const [name, m] of Object.entries(table)) {
    def[name] = {
      path: m.path,
      requestStream: m.requestStream,
      responseStream: m.responseStream,
      requestSerialize: m.requestSerialize,
      requestDeserialize: (b: Buffer) =>
        m.requestStream ? m.requestDeserialize(b) : { req: m.requestDeserialize(b), size: b.length },
      responseSerialize: m.responseSerialize,
      responseSerializeWithRoom: m.responseSerializeWithRoom,
      responseDeserialize: m.responseDeserialize,
      originalName: name,
    }
  }
  return def as ServiceDefinition
}

/** Room for the fields etcd wraps around a request before proposing it. */
const ENVELOPE_BYTES = 16

export function unary<Req, Res extends { header?: ResponseHeaderInit }>(
  limits: Limits,
  handler: (req: Req, ctx: CallContext) => Promise<Res>,
  core: CoreHeader,
): UntypedHandleCall {
  return (call: ServerUnaryCall<Sized<Req>, Res>, callback: sendUnaryData<Res>) => {
    const { req, size } = call.request
    if (size + ENVELOPE_BYTES > limits.maxRequestBytes) {
      callback(toGrpcError(Errors.RequestTooLarge))
      return
    }
    const ctx = callContext(call)
    if (ctx.abortReason !== undefined) {
      ctx.done()
      callback(toGrpcError(ctx.abortReason))
      return
    }
    handler(req, ctx).then(
      (res) => {
        ctx.done()
        const header = core.header()
        // The core's result knows the revision it was computed at; the rest is the member's.
        if (res.header?.revision) header.revision = res.header.revision
        res.header = header
        callback(null, res)
      },
      (err) => {
        ctx.done()
        callback(toGrpcError(err))
      },
    )
  }
}
