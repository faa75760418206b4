/**
 * Previous KeyValues for watchers created with prev_kv, looked up together and
 * asynchronously. As in etcd, a previous KeyValue that was compacted away is left out.
 */
import { Event_EventType } from '../../gen/mvccpb.js'
import { kvAt, readRecords } from '../mvcc/history.js'
import type { MvccStore } from '../mvcc/store.js'
import type { WatchEvent } from './event.js'

/** A live event whose previous record is known by revision (Change.prevMain/prevSub). */
export interface PrevRef {
  ev: WatchEvent
  main: number
  sub: number
}

/** Fills the prev of live events with one backend read. */
export async function resolveLivePrevs(store: MvccStore, refs: readonly PrevRef[]): Promise<void> {
  const read = await readRecords(
    store,
    refs.map((r) => r.main),
    refs.map((r) => r.sub),
  )
  for (let i = 0; i < refs.length; i++) {
    refs[i].ev.prev = read[i]
    refs[i].ev.prevKnown = true
  }
}

/**
 * Fills the prev of the `wanted` events among `events` (a history read, in revision order):
 * from an earlier event on the same key in the read when there is one, else from the
 * store at the event's revision - 1 (those reads share backend calls).
 */
export async function resolveHistoryPrevs(
  store: MvccStore,
  events: readonly WatchEvent[],
  wanted: ReadonlySet<WatchEvent>,
): Promise<void> {
  const last = new Map<string, WatchEvent>()
  const reads: Promise<void>[] = []
  for (const ev of events) {
    const skey = ev.skey
    if (wanted.has(ev) && !ev.prevKnown) {
      const before = last.get(skey)
      if (before !== undefined) {
        ev.prev = before.type === Event_EventType.PUT ? before.kv : undefined
        ev.prevKnown = true
      } else {
        reads.push(
          kvAt(store, ev.kv.key, ev.revision - 1).then((kv) => {
            ev.prev = kv
            ev.prevKnown = true
          }),
        )
      }
    }
    last.set(skey, ev)
  }
  await Promise.all(reads)
}

/** Marks events as having no previous KeyValue (a lookup failed). */
export function givePrevsUp(events: Iterable<WatchEvent>): void {
  for (const ev of events) {
    if (ev.prevKnown) continue
    ev.prev = undefined
    ev.prevKnown = true
  }
}
