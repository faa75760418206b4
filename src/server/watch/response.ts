/**
 * Encodes a WatchOut as etcdserverpb.WatchResponse bytes. Events are encoded once per event
 * (WatchEvent caches them) and copied into each watcher's response.
 *
 * Fragments as etcd's sendFragments: a watcher created with `fragment` whose response is at
 * least `limit` bytes (etcd: --max-request-bytes + 512 KiB) and holds several events gets it
 * as a series of responses, each with as many events as keep it under the limit (at least
 * one), all but the last marked `fragment`.
 */
import { sizeWatchResponse, writeWatchResponse, type WatchResponseInit } from '../../gen/etcdserverpb.js'
import { Writer, sizeVarint } from '../../proto/wire.js'
import type { WatchOut } from './sink.js'

const HEADER_TAG = (1 << 3) | 2
const EVENTS_TAG = (11 << 3) | 2
/** Bytes `fragment: true` adds to a response. */
const FRAGMENT_FLAG_BYTES = 2

function fieldSize(b: Buffer): number {
  return 1 + sizeVarint(b.length) + b.length
}

function write(
  header: Buffer,
  base: WatchResponseInit,
  baseSize: number,
  events: readonly Buffer[],
  from: number,
  to: number,
  eventsSize: number,
): Buffer {
  const w = new Writer(baseSize + eventsSize)
  // Field order as the generated encoder writes it: header, the scalars, events.
  w.varint(HEADER_TAG)
  w.bytes(header)
  writeWatchResponse(w, base)
  for (let i = from; i < to; i++) {
    w.varint(EVENTS_TAG)
    w.bytes(events[i])
  }
  return w.finish()
}

/** The response(s) for `out`; `header`: the encoded ResponseHeader (with out.revision). */
export function encodeWatchOut(out: WatchOut, header: Buffer, limit: number): Buffer[] {
  const base: WatchResponseInit = {
    watch_id: out.watchId,
    created: out.created,
    canceled: out.canceled,
    compact_revision: out.compactRevision,
    cancel_reason: out.cancelReason,
  }
  const baseSize = fieldSize(header) + sizeWatchResponse(base)
  const evs = out.events
  if (evs === undefined || evs.length === 0) return [write(header, base, baseSize, [], 0, 0, 0)]
  const includePrev = out.withPrev === true
  const bufs = evs.map((e) => e.bytes(includePrev))
  let total = 0
  for (const b of bufs) total += fieldSize(b)
  if (!out.fragment || baseSize + total < limit || bufs.length < 2)
    return [write(header, base, baseSize, bufs, 0, bufs.length, total)]

  const parts: Buffer[] = []
  const fragBase: WatchResponseInit = { ...base, fragment: true }
  const fragSize = baseSize + FRAGMENT_FLAG_BYTES
  let i = 0
  while (i < bufs.length) {
    const start = i
    let size = 0
    while (i < bufs.length) {
      const s = fieldSize(bufs[i])
      if (i > start && fragSize + size + s >= limit) break
      size += s
      i++
    }
    const last = i === bufs.length
    parts.push(
      last
        ? write(header, base, baseSize, bufs, start, i, size)
        : write(header, fragBase, fragSize, bufs, start, i, size),
    )
  }
  return parts
}
