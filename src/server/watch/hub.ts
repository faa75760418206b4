/**
 * The watchable store: every watcher of every stream, fed from commit notifications and
 * from the store's history, and nothing else (so it works the same on any member that
 * applies the log).
 *
 * - Synced watchers (caught up) are indexed by key; each commit hands their events to them
 *   at once, one response per watcher per commit, so all events of a revision travel
 *   together and in order.
 * - A synced watcher whose stream is backed up (the sink is not writable) becomes a victim:
 *   it holds that one batch and is not fed any more. When the stream drains the batch goes
 *   out and the watcher continues as unsynced (or synced if nothing happened meanwhile).
 * - Unsynced watchers (a start revision in the past, or back from being a victim) catch up
 *   from history in the background (catch-up.ts), only while their stream can take it.
 *
 * So no event is lost, reordered or sent twice, and what is buffered per watcher is bounded
 * by one commit's events plus one catch-up chunk.
 */
import type { MvccStore } from '../mvcc/store.js'
import type { Change } from '../mvcc/change.js'
import { CatchUp, type CatchUpLimits } from './catch-up.js'
import { CommitDelivery, ProgressDelivery, type Delivery } from './delivery.js'
import { WatchEvent } from './event.js'
import { givePrevsUp, resolveLivePrevs, type PrevRef } from './prev-kv.js'
import type { WatchOut, WatchSink } from './sink.js'
import { WatchStream, type WatchHost } from './stream.js'
import { WatcherGroup } from './watcher-group.js'
import { Watcher, WatcherState } from './watcher.js'

export interface WatchHubOptions extends Partial<CatchUpLimits> {
  /**
   * How often watchers created with progress_notify are told the current revision when
   * idle (etcd's --experimental-watch-progress-notify-interval: 10 minutes, at least 100 ms).
   */
  progressIntervalMs?: number
  /** Told about failures of background reads. */
  onError?: (err: unknown) => void
}

const DEFAULT_PROGRESS_MS = 10 * 60 * 1000
const MIN_PROGRESS_MS = 100

export class WatchHub implements WatchHost {
  private readonly synced = new WatcherGroup()
  private readonly unsynced = new Set<Watcher>()
  private readonly streams = new Set<WatchStream>()
  private readonly queue: Delivery[] = []
  private readonly out: WatchOut = { watchId: 0, revision: 0, events: undefined, withPrev: false, fragment: false }
  private readonly catchUp: CatchUp
  private readonly progressMs: number
  private closed = false

  constructor(
    private store: MvccStore,
    private readonly opts: WatchHubOptions = {},
  ) {
    this.progressMs = Math.max(MIN_PROGRESS_MS, opts.progressIntervalMs ?? DEFAULT_PROGRESS_MS)
    this.catchUp = new CatchUp(() => this.store, this.unsynced, {
      limits: {
        maxRevisions: opts.maxRevisions ?? 1000,
        maxBytes: opts.maxBytes ?? 1024 * 1024,
        maxWatchers: opts.maxWatchers ?? 512,
      },
      caughtUp: (w) => this.place(w),
      hold: (w, events, revision, next) => this.hold(w, events, revision, next),
      sent: (streams) => {
        for (const s of streams) this.checkDeferredProgress(s)
      },
      onError: (err) => this.opts.onError?.(err),
    })
  }

  get revision(): number {
    return this.store.committedRevision
  }

  /** Watchers by state, for tests and metrics. */
  get counts(): { synced: number; unsynced: number; victims: number; streams: number } {
    let victims = 0
    for (const s of this.streams) victims += s.held.size
    return { synced: this.synced.size, unsynced: this.unsynced.size, victims, streams: this.streams.size }
  }

  /** What the hub buffers: events held by victims and commits waiting in line. */
  get buffered(): { heldEvents: number; queued: number } {
    let heldEvents = 0
    for (const s of this.streams) for (const w of s.held) heldEvents += w.held?.events.length ?? 0
    return { heldEvents, queued: this.queue.length }
  }

  openStream(sink: WatchSink): WatchStream {
    const s = new WatchStream(this, sink, this.progressMs)
    if (this.closed) {
      s.close()
      sink.close()
      return s
    }
    this.streams.add(s)
    return s
  }

  /** The commit listener (KvStateMachine.onCommit): the changes of one committed batch. */
  readonly onCommit = (changes: readonly Change[], revision: number): void => {
    if (this.synced.size === 0 || this.closed) return
    let delivery: CommitDelivery | undefined
    let prevRefs: PrevRef[] | undefined
    for (const c of changes) {
      const skey = c.kv.key.toString('latin1')
      let ev: WatchEvent | undefined
      let needsPrev = false
      this.synced.forEachWatching(skey, (w) => {
        if (c.kv.mod_revision < w.minRev || !w.accepts(c.type)) return
        ev ??= new WatchEvent(c.type, c.kv, c.prev, c.prev !== undefined || c.prevMain === 0, skey)
        delivery ??= new CommitDelivery(revision)
        delivery.add(w, ev)
        if (w.prevKv && !ev.prevKnown) needsPrev = true
      })
      if (needsPrev) (prevRefs ??= []).push({ ev: ev!, main: c.prevMain, sub: c.prevSub })
    }
    if (delivery === undefined) return
    if (prevRefs !== undefined) {
      const d = delivery
      const refs = prevRefs
      d.ready = false
      resolveLivePrevs(this.store, refs)
        .catch((err) => {
          givePrevsUp(refs.map((r) => r.ev))
          this.opts.onError?.(err)
        })
        .finally(() => {
          d.ready = true
          this.flush()
        })
    }
    this.queue.push(delivery)
    this.flush()
  }

  register(w: Watcher): void {
    if (!this.closed) this.place(w)
  }

  unregister(w: Watcher): void {
    if (w.state === WatcherState.Synced) this.synced.delete(w)
    else if (w.state === WatcherState.Unsynced) this.unsynced.delete(w)
    else if (w.state === WatcherState.Victim) w.stream.held.delete(w)
    w.held = undefined
  }

  streamClosed(stream: WatchStream): void {
    this.streams.delete(stream)
  }

  requestProgress(stream: WatchStream): void {
    if (!stream.allSynced()) {
      stream.progressDeferred = true
      return
    }
    stream.progressDeferred = false
    this.queue.push(new ProgressDelivery(stream, undefined, this.revision))
    this.flush()
  }

  progressTick(w: Watcher): void {
    if (w.state !== WatcherState.Synced) return
    this.queue.push(new ProgressDelivery(w.stream, w, this.revision))
    this.flush()
  }

  /** The stream can take responses again: held batches go first, then catching up resumes. */
  drained(stream: WatchStream): void {
    const sink = stream.sink
    for (const w of stream.held) {
      if (!sink.writable) break
      const batch = w.held!
      stream.held.delete(w)
      w.held = undefined
      sink.send({
        watchId: w.id,
        revision: batch.revision,
        events: batch.events,
        withPrev: w.prevKv,
        fragment: w.fragment,
      })
      w.sentSinceTick = true
      this.place(w)
    }
    this.catchUp.schedule()
    this.checkDeferredProgress(stream)
  }

  /**
   * The store was replaced (a snapshot from the leader was installed): synced watchers that
   * the new store is ahead of catch up from its history.
   */
  restore(store: MvccStore): void {
    this.store = store
    for (const s of this.streams) {
      for (const w of s.list()) {
        if (w.state === WatcherState.Synced && w.minRev <= store.committedRevision) {
          this.synced.delete(w)
          this.place(w)
        }
      }
    }
  }

  /** Ends every stream (the server stops). */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.catchUp.stop()
    for (const s of [...this.streams]) {
      s.close()
      s.sink.close()
    }
    this.streams.clear()
    this.queue.length = 0
  }

  /** Synced if nothing it needs has been committed yet, else unsynced (it catches up). */
  private place(w: Watcher): void {
    if (w.minRev > this.store.committedRevision) {
      w.state = WatcherState.Synced
      this.synced.add(w)
    } else {
      w.state = WatcherState.Unsynced
      this.unsynced.add(w)
      this.catchUp.schedule()
    }
  }

  /**
   * The stream could not take the watcher's batch: it holds it and stops being fed.
   * `next`: the first revision after the batch (where the watcher goes on from).
   */
  private hold(w: Watcher, events: readonly WatchEvent[], revision: number, next: number): void {
    if (w.state === WatcherState.Synced) this.synced.delete(w)
    else if (w.state === WatcherState.Unsynced) this.unsynced.delete(w)
    w.state = WatcherState.Victim
    w.held = { events, revision }
    w.minRev = next
    w.stream.held.add(w)
  }

  private flush(): void {
    const q = this.queue
    while (q.length > 0 && q[0].ready) {
      const d = q.shift()!
      if (d.kind === 'commit') {
        const { watchers, lists } = d
        for (let i = 0; i < watchers.length; i++) {
          const w = watchers[i]!
          if (w.delivery === d) w.delivery = undefined
          this.deliver(w, lists[i]!, d.revision)
        }
      } else {
        this.sendProgress(d)
      }
    }
  }

  private deliver(w: Watcher, events: readonly WatchEvent[], revision: number): void {
    // A watcher that stopped being synced after the commit gets these events from history.
    if (w.state !== WatcherState.Synced) return
    if (!w.stream.sink.writable) {
      this.hold(w, events, revision, revision + 1)
      return
    }
    // One object for every delivery: a sink reads it only within send().
    const o = this.out
    o.watchId = w.id
    o.revision = revision
    o.events = events
    o.withPrev = w.prevKv
    o.fragment = w.fragment
    w.stream.sink.send(o)
    o.events = undefined
    w.sentSinceTick = true
  }

  private sendProgress(d: ProgressDelivery): void {
    const s = d.stream
    if (s.closed) return
    if (d.watcher === undefined) {
      s.sink.send({ watchId: -1, revision: d.revision })
      return
    }
    // As in etcd, a periodic notification is skipped rather than queued behind events.
    if (d.watcher.state === WatcherState.Synced && s.sink.writable)
      s.sink.send({ watchId: d.watcher.id, revision: d.revision })
  }

  private checkDeferredProgress(stream: WatchStream): void {
    if (stream.progressDeferred && !stream.closed && stream.allSynced()) this.requestProgress(stream)
  }
}
