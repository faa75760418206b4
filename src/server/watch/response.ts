/**
 * Encodes a WatchOut as etcdserverpb.WatchResponse bytes. Events are encoded once per event
 * (WatchEvent caches them), and the events part of a response (each event with its field tag
 * and length) once per list of events: the watchers a commit reaches with the same events
 * (the same list, see CommitDelivery) get that part copied after their header and own fields.
 *
 * Fragments as etcd's sendFragments: a watcher created with `fragment` whose response is at
 * least `limit` bytes (etcd: --max-request-bytes + 512 KiB) and holds several events gets it
 * as a series of responses, each with as many events as keep it under the limit (at least
 * one), all but the last marked `fragment`.
 */
import { sizeWatchResponse, writeWatchResponse, type WatchResponseInit } from '../../gen/etcdserverpb.js'
import { Writer, sizeInt64, sizeVarint } from '../../proto/wire.js'
import type { WatchOut } from './sink.js'
import type { WatchEvent } from './event.js'

const HEADER_TAG = (1 << 3) | 2
const WATCH_ID_TAG = 2 << 3
const EVENTS_TAG = (11 << 3) | 2
/** Bytes `fragment: true` adds to a response. */
const FRAGMENT_FLAG_BYTES = 2

function fieldSize(b: Buffer): number {
  return 1 + sizeVarint(b.length) + b.length
}

/** The events part of a response: each event's encoding with its field tag and length. */
function eventsPart(events: readonly WatchEvent[], withPrev: boolean): Buffer {
  let size = 0
  for (const e of events) size += fieldSize(e.bytes(withPrev))
  const w = new Writer(size)
  for (const e of events) {
    w.varint(EVENTS_TAG)
    w.bytes(e.bytes(withPrev))
  }
  return w.finish()
}

/**
 * The events part of the last list of events encoded (a list is not changed once delivered),
 * shared by every stream: a commit's watchers come one after another.
 */
export class EventsPart {
  private events: readonly WatchEvent[] | undefined
  private withPrev = false
  private bytes: Buffer = Buffer.alloc(0)

  of(events: readonly WatchEvent[], withPrev: boolean): Buffer {
    if (events !== this.events || withPrev !== this.withPrev) {
      this.bytes = eventsPart(events, withPrev)
      this.events = events
      this.withPrev = withPrev
    }
    return this.bytes
  }
}

const NO_EVENTS = Buffer.alloc(0)

/**
 * One response: the header, then the scalar fields (`base`, or when null the watch ID alone,
 * left out when 0), then the events part, in the generated encoder's field order.
 */
function write(
  header: Buffer,
  base: WatchResponseInit | null,
  watchId: number,
  baseSize: number,
  events: Buffer,
  headroom: number,
): Buffer {
  const w = new Writer(baseSize + events.length, headroom)
  w.varint(HEADER_TAG)
  w.bytes(header)
  if (base !== null) writeWatchResponse(w, base)
  else if (watchId !== 0) {
    w.varint(WATCH_ID_TAG)
    w.int64(watchId)
  }
  w.buf.set(events, w.pos)
  w.pos += events.length
  return w.finish()
}

/**
 * The response for `out` when it is events alone, in one response (no created, canceled,
 * compaction or cancel reason, and no fragments): the common case, encoded without building
 * the generated encoder's object. Undefined for any other `out` (encodeWatchOut encodes it).
 */
export function encodeEventsOut(
  out: WatchOut,
  header: Buffer,
  limit: number,
  parts: EventsPart,
  headroom: number,
): Buffer | undefined {
  const evs = out.events
  if (evs === undefined || evs.length === 0 || out.created || out.canceled || out.compactRevision || out.cancelReason)
    return undefined
  const id = out.watchId
  const size = fieldSize(header) + (id === 0 ? 0 : 1 + sizeInt64(id))
  const body = parts.of(evs, out.withPrev === true)
  if (out.fragment && size + body.length >= limit && evs.length >= 2) return undefined
  return write(header, null, id, size, body, headroom)
}

/**
 * The response(s) for `out`; `header`: the encoded ResponseHeader (with out.revision);
 * `parts`: where the events part of a response that is not fragmented comes from;
 * `headroom`: bytes left free at the start of each buffer, before the response.
 */
export function encodeWatchOut(
  out: WatchOut,
  header: Buffer,
  limit: number,
  parts = new EventsPart(),
  headroom = 0,
): Buffer[] {
  const events = encodeEventsOut(out, header, limit, parts, headroom)
  if (events !== undefined) return [events]
  const base: WatchResponseInit = {
    watch_id: out.watchId,
    created: out.created,
    canceled: out.canceled,
    compact_revision: out.compactRevision,
    cancel_reason: out.cancelReason,
  }
  const baseSize = fieldSize(header) + sizeWatchResponse(base)
  const evs = out.events
  if (evs === undefined || evs.length === 0) return [write(header, base, 0, baseSize, NO_EVENTS, headroom)]
  const includePrev = out.withPrev === true
  const body = parts.of(evs, includePrev)
  if (!out.fragment || baseSize + body.length < limit || evs.length < 2)
    return [write(header, base, 0, baseSize, body, headroom)]

  const responses: Buffer[] = []
  const fragBase: WatchResponseInit = { ...base, fragment: true }
  const fragSize = baseSize + FRAGMENT_FLAG_BYTES
  let i = 0
  while (i < evs.length) {
    const start = i
    let size = 0
    while (i < evs.length) {
      const s = fieldSize(evs[i].bytes(includePrev))
      if (i > start && fragSize + size + s >= limit) break
      size += s
      i++
    }
    const events = eventsPart(evs.slice(start, i), includePrev)
    responses.push(
      i === evs.length
        ? write(header, base, 0, baseSize, events, headroom)
        : write(header, fragBase, 0, fragSize, events, headroom),
    )
  }
  return responses
}
