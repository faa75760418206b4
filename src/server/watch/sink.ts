/**
 * Where a stream's responses go. The hub decides what to send; the sink (the gRPC stream
 * handler) encodes and writes. `writable` is false while the transport is backed up: the
 * hub then sends only control responses and holds or defers events.
 */
import type { WatchEvent } from './event.js'

/** One WatchResponse to send, before encoding. */
export interface WatchOut {
  watchId: number
  /** Header revision. */
  revision: number
  events?: readonly WatchEvent[]
  /** Encode the events with their prev_kv. */
  withPrev?: boolean
  /** The watcher accepts a large response split into fragments. */
  fragment?: boolean
  created?: boolean
  canceled?: boolean
  compactRevision?: number
  cancelReason?: string
}

export interface WatchSink {
  readonly writable: boolean
  /** `out` is read within the call only: the hub may reuse the object for the next response. */
  send(out: WatchOut): void
  /** The server stops: end the stream (clients reconnect elsewhere). */
  close(): void
}
