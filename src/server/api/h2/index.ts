/** gRPC on tsetcd's own HTTP/2 (plain HTTP on node's), hosting grpc-js-style services: see server.ts. */
export {
  BoundListener,
  GrpcServer,
  type GrpcServerOptions,
  type ListenOptions,
  type TlsListenOptions,
} from './server.js'
export { Metadata, type MetadataValue } from './metadata.js'
export { Status, type StatusCode, toStatus, encodeGrpcMessage, decodeGrpcMessage } from './status.js'
export { notFound, type HttpHandler } from './http1.js'
export type * from './types.js'
export type { CallKind, MethodStats } from './call.js'
