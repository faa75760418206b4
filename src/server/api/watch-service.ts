/**
 * etcdserverpb.Watch: the bidirectional stream. Requests (create, cancel, progress) go to
 * the stream's WatchStream in the hub; responses come back through a sink that encodes them
 * and writes them to the gRPC call. The sink counts the bytes not yet written out (write
 * callbacks) and reports back-pressure past a bound, so the hub holds or defers events
 * instead of buffering them here.
 */
import { type ServerDuplexStream, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js'
import { WatchService, encodeResponseHeader, type ResponseHeaderInit, type WatchRequest } from '../../gen/etcdserverpb.js'
import { Errors } from '../../errors/rpctypes.js'
import type { Core } from '../etcdserver/core.js'
import type { WatchHub } from '../watch/hub.js'
import { encodeWatchOut } from '../watch/response.js'
import type { WatchOut, WatchSink } from '../watch/sink.js'
import { GRPC_OVERHEAD_BYTES } from './limits.js'

/**
 * The Watch service with responses passed through as bytes: the sink encodes them itself
 * (each event once for all the watchers that get it).
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

interface MessageSender {
  sendMessage(message: unknown, callback: () => void): void
}

/**
 * grpc-js's server stream hands HTTP/2 one message per write completion; a stream with
 * many watchers would then wait an event-loop turn per response. Messages queued behind
 * the one in flight are handed over together instead (Writable's `_writev`).
 */
function writeQueuedTogether(call: WatchCall): void {
  const inner = (call as unknown as { call?: MessageSender }).call
  if (inner === undefined || typeof inner.sendMessage !== 'function') return
  ;(call as unknown as { _writev: unknown })._writev = (chunks: { chunk: unknown }[], done: (err?: Error | null) => void) => {
    let left = chunks.length
    for (const c of chunks) inner.sendMessage(c.chunk, () => {
      if (--left === 0) done()
    })
  }
}

/**
 * The encoded response header for a revision, shared by every stream: a commit's responses
 * to many watchers all carry the same one.
 */
class HeaderBytes {
  private last: ResponseHeaderInit = {}
  private bytes: Buffer = Buffer.alloc(0)

  constructor(private readonly core: Pick<Core, 'header'>) {}

  at(revision: number): Buffer {
    const h = this.core.header()
    h.revision = revision
    const l = this.last
    if (h.revision !== l.revision || h.raft_term !== l.raft_term || h.member_id !== l.member_id || h.cluster_id !== l.cluster_id) {
      this.last = h
      this.bytes = encodeResponseHeader(h)
    }
    return this.bytes
  }
}

/**
 * Bytes a stream may have handed to gRPC but not yet written out before the hub holds its
 * events back (etcd buffers up to 128 responses per stream); it takes events again once
 * half of that is written.
 */
const STREAM_BUFFER_BYTES = 1024 * 1024

class GrpcWatchSink implements WatchSink {
  writable = true
  private ended = false
  private inflight = 0
  private corked = false
  /** Sizes of the messages handed to the call, oldest first (write callbacks come in order). */
  private readonly sizes: number[] = []
  private sizesHead = 0

  constructor(
    private readonly call: WatchCall,
    private readonly headers: HeaderBytes,
    private readonly fragmentLimit: number,
    private readonly drained: () => void,
  ) {}

  send(out: WatchOut): void {
    if (this.ended) return
    // The responses of one turn (a commit reaching many watchers) go to HTTP/2 together.
    if (!this.corked) {
      this.corked = true
      this.call.cork()
      process.nextTick(this.uncork)
    }
    for (const msg of encodeWatchOut(out, this.headers.at(out.revision), this.fragmentLimit)) {
      this.inflight += msg.length
      this.sizes.push(msg.length)
      this.call.write(msg, this.written)
    }
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

  private readonly uncork = (): void => {
    this.corked = false
    this.call.uncork()
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

export function watchService(hub: WatchHub, core: Pick<Core, 'header'>, limits: { maxRequestBytes: number }): UntypedServiceImplementation {
  const fragmentLimit = limits.maxRequestBytes + GRPC_OVERHEAD_BYTES
  const headers = new HeaderBytes(core)
  return {
    Watch: (call: WatchCall) => {
      writeQueuedTogether(call)
      const sink = new GrpcWatchSink(call, headers, fragmentLimit, () => stream.drained())
      const stream = hub.openStream(sink)
      const done = (): void => {
        sink.gone()
        stream.close()
      }
      call.on('data', (req: WatchRequest) => {
        if (req.create_request !== undefined) stream.create(req.create_request)
        else if (req.cancel_request !== undefined) stream.cancel(req.cancel_request.watch_id)
        else if (req.progress_request !== undefined) stream.requestProgress()
      })
      // A half-close by the client leaves the stream open for responses, as in etcd.
      call.on('cancelled', done)
      call.on('error', done)
      call.on('close', done)
    },
  }
}
