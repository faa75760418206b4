/**
 * Catching unsynced watchers up from the store's history, in the background.
 *
 * One step at a time (setImmediate between steps): take up to `maxWatchers` unsynced
 * watchers whose streams can take more, read the history from the lowest revision they need
 * (at most `maxRevisions` revisions / `maxBytes` bytes, never splitting a revision), send
 * each its events, and move those that reached the store's revision back to synced.
 *
 * A watcher whose next revision is below the compaction revision is told so
 * (compact_revision, canceled) and no longer fed, as in etcd.
 */
import { readHistory } from '../mvcc/history.js'
import type { MvccStore } from '../mvcc/store.js'
import { WatchEvent } from './event.js'
import { givePrevsUp, resolveHistoryPrevs } from './prev-kv.js'
import type { WatchStream } from './stream.js'
import { WatcherState, type Watcher } from './watcher.js'

export interface CatchUpLimits {
  /** Revisions read per step (etcd: 1000). */
  maxRevisions: number
  /** Record bytes read per step. */
  maxBytes: number
  /** Watchers served per step (etcd: 512). */
  maxWatchers: number
}

export interface CatchUpHost {
  limits: CatchUpLimits
  /** The watcher got everything below its minRev: place it (synced or still unsynced). */
  caughtUp(w: Watcher): void
  /** The stream filled up before the watcher's events could go: it holds them. */
  hold(w: Watcher, events: readonly WatchEvent[], revision: number, next: number): void
  /** Responses went to these streams. */
  sent(streams: ReadonlySet<WatchStream>): void
  onError(err: unknown): void
}

const RETRY_MS = 100

export class CatchUp {
  private running = false
  private scheduled = false
  private again = false
  private stopped = false

  constructor(
    private readonly currentStore: () => MvccStore,
    /** The hub's unsynced watchers (shared: this module removes the ones it finishes). */
    private readonly unsynced: Set<Watcher>,
    private readonly host: CatchUpHost,
  ) {}

  schedule(): void {
    if (this.stopped || this.unsynced.size === 0) return
    if (this.running) {
      this.again = true
      return
    }
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(this.run)
  }

  stop(): void {
    this.stopped = true
  }

  private readonly run = async (): Promise<void> => {
    this.scheduled = false
    if (this.stopped) return
    this.running = true
    this.again = false
    let worked = false
    try {
      worked = await this.step()
    } catch (err) {
      if (this.stopped) return
      this.host.onError(err)
      setTimeout(() => this.schedule(), RETRY_MS).unref()
    } finally {
      this.running = false
    }
    if (worked || this.again) this.schedule()
  }

  /** One step; false when there was nothing it could do. */
  private async step(): Promise<boolean> {
    const store = this.currentStore()
    const limits = this.host.limits
    const cur = store.committedRevision
    const touched = new Set<WatchStream>()
    const chosen: Watcher[] = []
    let from = Infinity
    for (const w of this.unsynced) {
      if (!w.stream.sink.writable) continue
      if (w.minRev < store.compactRevision) {
        this.compacted(w, store.compactRevision)
        touched.add(w.stream)
        continue
      }
      chosen.push(w)
      if (w.minRev < from) from = w.minRev
      if (chosen.length >= limits.maxWatchers) break
    }
    if (chosen.length === 0) {
      if (touched.size > 0) this.host.sent(touched)
      return touched.size > 0
    }

    const chunk = await readHistory(store, from, cur + 1, limits)
    if (this.stopped) return false
    // A compaction during the read may have removed records below its revision.
    const compactRev = store.compactRevision
    const events = chunk.events.map((h) => new WatchEvent(h.type, h.kv))
    const batches = new Map<Watcher, WatchEvent[]>()
    const wantPrev = new Set<WatchEvent>()
    for (const w of chosen) {
      if (w.state !== WatcherState.Unsynced) continue
      if (w.minRev < compactRev) {
        if (w.stream.sink.writable) {
          this.compacted(w, compactRev)
          touched.add(w.stream)
        }
        continue
      }
      const mine: WatchEvent[] = []
      for (const ev of events) {
        if (!w.wants(ev)) continue
        mine.push(ev)
        if (w.prevKv && !ev.prevKnown) wantPrev.add(ev)
      }
      batches.set(w, mine)
    }
    if (wantPrev.size > 0) {
      try {
        await resolveHistoryPrevs(store, events, wantPrev)
      } catch (err) {
        givePrevsUp(wantPrev)
        this.host.onError(err)
      }
      if (this.stopped) return false
    }

    for (const [w, mine] of batches) {
      if (w.state !== WatcherState.Unsynced) continue
      const next = Math.max(w.minRev, chunk.next)
      touched.add(w.stream)
      if (mine.length > 0) {
        if (!w.stream.sink.writable) {
          this.host.hold(w, mine, cur, next)
          continue
        }
        w.stream.sink.send({ watchId: w.id, revision: cur, events: mine, withPrev: w.prevKv, fragment: w.fragment })
        w.sentSinceTick = true
      }
      w.minRev = next
      // Back of the line, so that a long catch-up does not starve the others.
      this.unsynced.delete(w)
      this.host.caughtUp(w)
    }
    this.host.sent(touched)
    return true
  }

  private compacted(w: Watcher, compactRev: number): void {
    this.unsynced.delete(w)
    w.state = WatcherState.Compacted
    w.stream.sink.send({ watchId: w.id, revision: 0, compactRevision: compactRev, canceled: true })
  }
}
