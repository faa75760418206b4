/**
 * What the hub sends to synced watchers, in commit order. A commit whose events need
 * previous KeyValues waits for them to be read; later items wait behind it, so every
 * watcher gets its events in order and a progress response never runs ahead of them.
 */
import type { WatchEvent } from './event.js'
import type { WatchStream } from './stream.js'
import type { Watcher } from './watcher.js'

/** The events of one commit for each synced watcher it concerns. */
export class CommitDelivery {
  readonly kind = 'commit'
  readonly batches = new Map<Watcher, WatchEvent[]>()
  ready = true

  /** `revision`: the store revision after the commit (the header revision sent). */
  constructor(readonly revision: number) {}

  add(w: Watcher, ev: WatchEvent): void {
    const list = this.batches.get(w)
    if (list === undefined) this.batches.set(w, [ev])
    else list.push(ev)
  }
}

/** A progress response: for one watcher (progress_notify) or the whole stream (watch_id -1). */
export class ProgressDelivery {
  readonly kind = 'progress'
  readonly ready = true

  constructor(
    readonly stream: WatchStream,
    readonly watcher: Watcher | undefined,
    readonly revision: number,
  ) {}
}

export type Delivery = CommitDelivery | ProgressDelivery
