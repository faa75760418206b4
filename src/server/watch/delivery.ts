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
  /** The watchers the commit concerns, in the order they were first matched. */
  readonly watchers: Watcher[] = []
  /**
   * Each watcher's events (`lists[i]` is for `watchers[i]`). A watcher that gets one event
   * gets the event's shared list (WatchEvent.alone), so that its response's events are encoded
   * once for all of them; a second event gives the watcher a list of its own.
   */
  readonly lists: (readonly WatchEvent[])[] = []
  ready = true

  /** `revision`: the store revision after the commit (the header revision sent). */
  constructor(readonly revision: number) {}

  add(w: Watcher, ev: WatchEvent): void {
    // The watcher's mark says where it stands in this delivery (a mark of another is stale).
    if (w.delivery !== this) {
      w.delivery = this
      w.deliverySlot = this.watchers.length
      this.watchers.push(w)
      this.lists.push(ev.alone)
      return
    }
    const i = w.deliverySlot
    const list = this.lists[i]!
    if (list.length === 1 && list === list[0]!.alone) this.lists[i] = [list[0]!, ev]
    else (list as WatchEvent[]).push(ev)
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
