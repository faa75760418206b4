/**
 * etcdserverpb.Watch: the bidirectional stream. Requests (create, cancel, progress) go to
 * the core's watch stream; its responses come back encoded through a sink that writes them
 * to the gRPC call. The sink counts the bytes not yet written out (write callbacks) and
 * reports back-pressure past a bound, so the core holds or defers events instead of
 * buffering them here.
 */
import { type ServerDuplexStream, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js'
import { WatchService, type WatchRequest } from '../../gen/etcdserverpb.js'
import { Errors } from '../../errors/rpctypes.js'
import type { CoreWatch, WatchResponseSink } from '../etcdserver/core.js'
import { callIdentity } from './call-context.js'

/**
 * The Watch service with responses passed through as bytes: the core encodes them (each
 * event once for all the watchers that get it).
 */
export const watchServiceDefinition: ServiceDefinition = {
  Watch: {
    path: WatchService.Watch.path,
    requestStream: true,
    responseStream: true,
    requestSerialize: WatchService.Watch.requestSerialize,
    requestDeserialize: WatchService.Watch.requestDeserialize,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: WatchService.Watch.responseDeserialize,
    originalName: 'Watch',
  },
} as unknown as ServiceDefinition

type WatchCall = ServerDuplexStream<WatchRequest, Buffer>

/**
 * Bytes a stream may have handed to gRPC but not yet written out before the hub holds its
 * events back (etcd buffers up to 128 responses per stream); it takes events again once
 * half of that is written.
 */
const STREAM_BUFFER_BYTES = 1024 * 1024

/** A call that frames messages serialized after room left for it (tsetcd's own HTTP/2 calls). */
interface PrefixedWriter {
  readonly framingBytes: number
  writePrefixed(buf: Buffer, callback: () => void): boolean
}

class GrpcWatchSink implements WatchResponseSink {
  writable = true
  readonly headroom: number
  private readonly prefixed: PrefixedWriter | undefined
  private ended = false
  private inflight = 0
  /** Sizes of the messages handed to the call, oldest first (write callbacks come in order). */
  private readonly sizes: number[] = []
  private sizesHead = 0

  constructor(
    private readonly call: WatchCall,
    private readonly drained: () => void,
  ) {
    const p = call as unknown as Partial<PrefixedWriter>
    this.prefixed = typeof p.writePrefixed === 'function' ? (p as PrefixedWriter) : undefined
    this.headroom = this.prefixed?.framingBytes ?? 0
  }

  send(msg: Buffer): void {
    if (this.ended) return
    // The responses of one turn (a commit reaching many watchers) leave in one write.
    const size = msg.length - this.headroom
    this.inflight += size
    this.sizes.push(size)
    if (this.prefixed !== undefined) this.prefixed.writePrefixed(msg, this.written)
    else this.call.write(msg, this.written)
    if (this.inflight >= STREAM_BUFFER_BYTES) this.writable = false
  }

  close(): void {
    if (this.ended) return
    this.ended = true
    this.call.emit('error', { code: Errors.Stopped.code, details: Errors.Stopped.message })
  }

  /** The call is over (client went away or the stream failed). */
  gone(): void {
    this.ended = true
  }

  private readonly written = (): void => {
    this.inflight -= this.sizes[this.sizesHead++]
    if (this.sizesHead === this.sizes.length) {
      this.sizes.length = 0
      this.sizesHead = 0
    } else if (this.sizesHead >= 1024) {
      this.sizes.splice(0, this.sizesHead)
      this.sizesHead = 0
    }
    if (!this.writable && !this.ended && this.inflight <= STREAM_BUFFER_BYTES / 2) {
      this.writable = true
      this.drained()
    }
  }
}

export function watchService(core: CoreWatch): UntypedServiceImplementation {
  return {
    Watch: (call: WatchCall) => {
      const sink = new GrpcWatchSink(call, () => stream.drained())
      const stream = core.watch(sink, callIdentity(call))
      const done = (): void => {
        sink.gone()
        stream.close()
      }
      call.on('data', (req: WatchRequest) => stream.request(req))
      // A half-close by the client leaves the stream open for responses, as in etcd.
      call.on('cancelled', done)
      call.on('error', done)
      call.on('close', done)
    },
  }
}
