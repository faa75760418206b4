/**
 * Reading the store's history by revision, for watchers that catch up: the changes of a
 * revision range straight from the key bucket (records are keyed by revision, so a scan
 * returns them in revision order), and records by revision.
 *
 * Reads run on the backend's asynchronous paths. A compaction may remove records while a
 * read is in flight: callers compare `store.compactRevision` before and after.
 */
import { Event_EventType, decodeKeyValue, type KeyValue } from '../../gen/mvccpb.js'
import { Errors } from '../../errors/rpctypes.js'
import { rangeQuery } from './range.js'
import { isTombstoneKey, revKey, revKeyBounds, revKeyMain } from './revision.js'
import type { MvccStore } from './store.js'

/** One change read back from history; a delete's kv holds the key and mod_revision only. */
export interface HistoryEvent {
  type: number
  kv: KeyValue
}

export interface HistoryLimits {
  /** Stop after this many distinct revisions. */
  maxRevisions: number
  /** Stop once this many record bytes were read (at a revision boundary). */
  maxBytes: number
}

export interface HistoryChunk {
  /** The changes with from <= revision < next, in revision order. */
  events: HistoryEvent[]
  /** First revision not read: `to` when the whole range was read. */
  next: number
}

const SCAN_CHUNK = 256

/**
 * The changes with from <= revision < to, in order. Stops early at a revision boundary
 * (never inside a revision) when a limit is reached; `next` says where to go on.
 */
export async function readHistory(
  store: MvccStore,
  from: number,
  to: number,
  limits: HistoryLimits,
): Promise<HistoryChunk> {
  const events: HistoryEvent[] = []
  from = Math.max(from, 1)
  if (from >= to) return { events, next: to }
  const [gte, lt] = revKeyBounds(from, to)
  let revisions = 0
  let bytes = 0
  let last = -1
  for await (const chunk of store.backend.iterate(gte, lt, { chunkSize: SCAN_CHUNK })) {
    for (const [key, value] of chunk) {
      const main = revKeyMain(key)
      if (main !== last) {
        if (revisions >= limits.maxRevisions || bytes >= limits.maxBytes) return { events, next: main }
        revisions++
        last = main
      }
      bytes += key.length + value.length
      const kv = decodeKeyValue(value)
      if (isTombstoneKey(key)) {
        kv.mod_revision = main
        events.push({ type: Event_EventType.DELETE, kv })
      } else {
        events.push({ type: Event_EventType.PUT, kv })
      }
    }
  }
  return { events, next: to }
}

/** The records at (mains[i], subs[i]), read together; undefined where gone (compacted). */
export async function readRecords(
  store: MvccStore,
  mains: readonly number[],
  subs: readonly number[],
): Promise<(KeyValue | undefined)[]> {
  const keys = mains.map((m, i) => revKey(m, subs[i], false))
  const values = await store.backend.get(keys)
  return values.map((v) => (v === undefined ? undefined : decodeKeyValue(v)))
}

/** The key's KeyValue at `revision`; undefined when absent or compacted away. */
export async function kvAt(store: MvccStore, key: Buffer, revision: number): Promise<KeyValue | undefined> {
  if (revision < 1) return undefined
  try {
    const r = await store.range(rangeQuery(key, undefined, revision))
    return r.kvs[0]
  } catch (e) {
    if (e === Errors.Compacted) return undefined
    throw e
  }
}
