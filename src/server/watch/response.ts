/**
 * Encodes a WatchOut as etcdserverpb.WatchResponse bytes. Events are encoded once per event
 * (WatchEvent caches them), and the events part of a response (each event with its field tag
 * and length) once per list of events: the watchers a commit reaches with the same events
 * (the same list, see CommitDelivery) get that part copied after their header and watch ID.
 *
 * Fragments as etcd's sendFragments: a watcher created with `fragment` whose response is at
 * least `limit` bytes (etcd: --max-request-bytes + 512 KiB) and holds several events gets it
 * as a series of responses, each with as many events as keep it under the limit (at least
 * one), all but the last marked `fragment`.
 */
import { sizeWatchResponse, writeWatchResponse, type WatchResponseInit } from '../../gen/etcdserverpb.js'
import { Writer, sizeVarint } from '../../proto/wire.js'
import type { WatchOut } from './sink.js'
import type { WatchEvent } from './event.js'

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

const WATCH_ID_TAG = (2 << 3) | 0

/**
 * The events part of the last list of events encoded (a list is not changed once delivered),
 * shared by every stream: a commit's watchers come one after another.
 */
export class EventsPart {
  private events: readonly WatchEvent[] | undefined
  private withPrev = false
  private bytes: Buffer = Buffer.alloc(0)

  of(events: readonly WatchEvent[], withPrev: boolean): Buffer {
    if (events === this.events && withPrev === this.withPrev) return this.bytes
    let size = 0
    for (const e of events) size += fieldSize(e.bytes(withPrev))
    const w = new Writer(size)
    for (const e of events) {
      w.varint(EVENTS_TAG)
      w.bytes(e.bytes(withPrev))
    }
    this.bytes = w.finish()
    this.events = events
    this.withPrev = withPrev
    return this.bytes
  }
}

/**
 * The response for events delivered to a watcher, when it is one response (not fragmented):
 * header, watch ID and the events part. Undefined when `encodeWatchOut` must build it.
 */
export function encodeEvents(out: WatchOut, header: Buffer, limit: number, parts: EventsPart): Buffer | undefined {
  const evs = out.events
  if (
    evs === undefined ||
    evs.length === 0 ||
    out.created === true ||
    out.canceled === true ||
    (out.compactRevision ?? 0) !== 0 ||
    (out.cancelReason ?? '') !== '' ||
    out.watchId < 0
  )
    return undefined
  const body = parts.of(evs, out.withPrev === true)
  const id = out.watchId
  const size = fieldSize(header) + (id === 0 ? 0 : 1 + sizeVarint(id)) + body.length
  if (out.fragment === true && size >= limit && evs.length > 1) return undefined
  const w = new Writer(size)
  // Field order as the generated encoder writes it: header, watch ID, events.
  w.varint(HEADER_TAG)
  w.bytes(header)
  if (id !== 0) {
    w.varint(WATCH_ID_TAG)
    w.varint(id)
  }
  body.copy(w.buf, w.pos)
  w.pos += body.length
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
