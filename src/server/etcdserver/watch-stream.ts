/**
 * The core's side of a Watch call: requests go to the stream's WatchStream in the hub; the
 * hub's responses are encoded here (each event once for all the watchers that get it, the
 * header once per revision) and handed to the client-facing sink as bytes.
 */
import { encodeResponseHeader, type ResponseHeaderInit, type WatchRequest } from '../../gen/etcdserverpb.js'
import type { WatchHub } from '../watch/hub.js'
import { encodeWatchOut } from '../watch/response.js'
import type { WatchOut, WatchSink } from '../watch/sink.js'
import type { CoreHeader, WatchResponseSink, WatchStreamHandle } from './core.js'

/**
 * The encoded response header for a revision, shared by every stream: a commit's responses
 * to many watchers all carry the same one.
 */
export class HeaderBytes {
  private last: ResponseHeaderInit = {}
  private bytes: Buffer = Buffer.alloc(0)

  constructor(private readonly core: CoreHeader) {}

  at(revision: number): Buffer {
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
    for (const msg of encodeWatchOut(o, this.headers.at(o.revision), this.fragmentLimit)) this.out.send(msg)
  }

  close(): void {
    this.out.close()
  }
}

export function openWatchStream(
  hub: WatchHub,
  headers: HeaderBytes,
  fragmentLimit: number,
  sink: WatchResponseSink,
): WatchStreamHandle {
  const stream = hub.openStream(new EncodingSink(sink, headers, fragmentLimit))
  return {
    request(req: WatchRequest) {
      if (req.create_request !== undefined) stream.create(req.create_request)
      else if (req.cancel_request !== undefined) stream.cancel(req.cancel_request.watch_id)
      else if (req.progress_request !== undefined) stream.requestProgress()
    },
    drained: () => stream.drained(),
    close: () => stream.close(),
  }
}
