/** The one place where errors become gRPC statuses (etcd's togRPCError). */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js'
import { EtcdError } from '../../errors/rpctypes.js'

export function toGrpcError(err: unknown): Partial<ServiceError> {
  if (err instanceof EtcdError) return { code: err.code, details: err.message, metadata: new Metadata() }
  const message = err instanceof Error ? err.message : String(err)
  return { code: status.UNKNOWN, details: message, metadata: new Metadata() }
}
