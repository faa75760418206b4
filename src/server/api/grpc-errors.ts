/** The one place where errors become gRPC statuses (etcd's togRPCError). */
import type { ServiceError } from '@grpc/grpc-js'
import { Status } from './h2/index.js'
import { EtcdError } from '../../errors/rpctypes.js'

export function toGrpcError(err: unknown): Partial<ServiceError> {
  if (err instanceof EtcdError) return { code: err.code, details: err.message }
  const message = err instanceof Error ? err.message : String(err)
  return { code: Status.UNKNOWN, details: message }
}
