/**
 * The core's side of a Watch call: requests go to the stream's WatchStream in the hub; the
 * hub's responses are encoded here (each event once for all the watchers that get it, the
 * header once per revision) and handed to the client-facing sink as bytes.
 */
import { encodeResponseHeader, type ResponseHeaderInit, type WatchRequest } from '../../gen/etcdserverpb.js'
import type { WatchHub } from '../watch/hub.js'
import { Code, EtcdError } from '../../errors/rpctypes.js'
import { encodeEventsOut, encodeWatchOut, EventsPart } from '../watch/response.js'
import type { WatchOut, WatchSink } from '../watch/sink.js'
import type { CoreHeader, WatchResponseSink, WatchStreamHandle } from './core.js'

/**
 * The encoded response header for a revision, shared by every stream: a commit's responses
 * to many watchers all carry the same one. With it, the encoded events part of the last list
 * of events, as shared.
 */
export class HeaderBytes {
  private last: ResponseHeaderInit = {}
  private bytes: Buffer = Buffer.alloc(0)
  /**
   * `bytes` may be handed out again without asking the core: until the end of the current
   * job, when a commit's responses have all been encoded (the term cannot change meanwhile).
   */
  private fresh = false
  private readonly expire = (): void => {
    this.fresh = false
  }
  readonly events = new EventsPart()

  constructor(private readonly core: CoreHeader) {}

  at(revision: number): Buffer {
    if (this.fresh && revision === this.last.revision) return this.bytes
    this.fresh = true
    queueMicrotask(this.expire)
    const h = this.core.header()
    h.revision = revision
    const l = this.last
    if (
      h.revision !== l.revision ||
      h.raft_term !== l.raft_term ||
      h.member_id !== l.member_id ||
      h.cluster_id !== l.cluster_id
    ) {
      this.last = h
      this.bytes = encodeResponseHeader(h)
    }
    return this.bytes
  }
}

/** The hub's sink for one stream: encodes each response, fragmented above `fragmentLimit` bytes. */
class EncodingSink implements WatchSink {
  constructor(
    private readonly out: WatchResponseSink,
    private readonly headers: HeaderBytes,
    private readonly fragmentLimit: number,
  ) {}

  get writable(): boolean {
    return this.out.writable
  }

  send(o: WatchOut): void {
    const out = this.out
    const h = this.headers
    const header = h.at(o.revision)
    const events = encodeEventsOut(o, header, this.fragmentLimit, h.events, out.headroom)
    if (events !== undefined) out.send(events)
    else for (const msg of encodeWatchOut(o, header, this.fragmentLimit, h.events, out.headroom)) out.send(msg)
  }

  close(): void {
    this.out.close()
  }
}

/** Resolves when the caller may watch [key, rangeEnd); rejects with the EtcdError that refuses it. */
export type WatchPermission = (key: Buffer, rangeEnd: Buffer) => void | Promise<void>

/** etcd's answer to a create request the caller may not make: created and canceled at once, watch ID -1. */
function refusal(headers: HeaderBytes, revision: number, reason: string, headroom: number): Buffer {
  const out = { watchId: -1, revision, created: true, canceled: true, cancelReason: reason }
  return encodeWatchOut(out, headers.at(revision), Infinity, headers.events, headroom)[0]!
}

const CODE_NAMES: Record<number, string> = {
  [Code.INVALID_ARGUMENT]: 'InvalidArgument',
  [Code.PERMISSION_DENIED]: 'PermissionDenied',
  [Code.UNAUTHENTICATED]: 'Unauthenticated',
  [Code.FAILED_PRECONDITION]: 'FailedPrecondition',
}

/** A gRPC error as grpc-go prints it (etcd's cancel reason is the error's text). */
function grpcErrorString(err: unknown): string {
  if (!(err instanceof EtcdError)) return String((err as Error)?.message ?? err)
  return `rpc error: code = ${CODE_NAMES[err.code] ?? 'Unknown'} desc = ${err.message}`
}

export function openWatchStream(
  hub: WatchHub,
  headers: HeaderBytes,
  fragmentLimit: number,
  sink: WatchResponseSink,
  permitted?: WatchPermission,
): WatchStreamHandle {
  const stream = hub.openStream(new EncodingSink(sink, headers, fragmentLimit))
  // Requests are handled in order: those behind a permission check still running wait for it.
  let queue: Promise<void> | undefined
  let waiting = 0
  let closed = false
  const handle = (req: WatchRequest) => {
    if (closed) return
    if (req.create_request !== undefined) stream.create(req.create_request)
    else if (req.cancel_request !== undefined) stream.cancel(req.cancel_request.watch_id)
    else if (req.progress_request !== undefined) stream.requestProgress()
  }
  const refuse = (err: unknown) => {
    if (!closed) sink.send(refusal(headers, hub.revision, grpcErrorString(err), sink.headroom))
  }
  return {
    request(req: WatchRequest) {
      const c = req.create_request
      let check: void | Promise<void> = undefined
      if (permitted !== undefined && c !== undefined) {
        try {
          check = permitted(c.key.length === 0 ? Buffer.from([0]) : c.key, c.range_end)
        } catch (err) {
          check = Promise.reject(err)
        }
      }
      if (waiting === 0 && check === undefined) return handle(req)
      waiting++
      queue = Promise.all([queue, check])
        .then(
          () => handle(req),
          (err: unknown) => refuse(err),
        )
        .finally(() => waiting--)
    },
    drained: () => stream.drained(),
    close: () => {
      closed = true
      stream.close()
    },
  }
}
