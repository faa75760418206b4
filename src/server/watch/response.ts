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

function write(header: Buffer, base: WatchResponseInit, baseSize: number, events: Buffer): Buffer {
  const w = new Writer(baseSize + events.length)
  // Field order as the generated encoder writes it: header, the scalars, events.
  w.varint(HEADER_TAG)
  w.bytes(header)
  writeWatchResponse(w, base)
  w.buf.set(events, w.pos)
  w.pos += events.length
  return w.finish()
}

/**
 * The response(s) for `out`; `header`: the encoded ResponseHeader (with out.revision);
 * `parts`: where the events part of a response that is not fragmented comes from.
 */
export function encodeWatchOut(out: WatchOut, header: Buffer, limit: number, parts = new EventsPart()): Buffer[] {
  const base: WatchResponseInit = {
    watch_id: out.watchId,
    created: out.created,
    canceled: out.canceled,
    compact_revision: out.compactRevision,
    cancel_reason: out.cancelReason,
  }
  const baseSize = fieldSize(header) + sizeWatchResponse(base)
  const evs = out.events
  if (evs === undefined || evs.length === 0) return [write(header, base, baseSize, NO_EVENTS)]
  const includePrev = out.withPrev === true
  const body = parts.of(evs, includePrev)
  if (!out.fragment || baseSize + body.length < limit || evs.length < 2) return [write(header, base, baseSize, body)]

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
    responses.push(i === evs.length ? write(header, base, baseSize, events) : write(header, fragBase, fragSize, events))
  }
  return responses
}
