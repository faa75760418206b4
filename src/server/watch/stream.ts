/**
 * One client watch stream: the watchers created on it (by ID), their control responses
 * (created, canceled), progress requests and the periodic progress notifications of the
 * watchers that asked for them. Where events come from is the host's business (hub.ts).
 *
 * IDs follow etcd: 0 in a create request means "assign one": the stream hands out 0, 1, 2...
 * skipping IDs in use; an ID already in use is refused. A compacted watcher keeps its ID
 * until the client cancels it.
 */
import type { WatchCreateRequest } from '../../gen/etcdserverpb.js'
import { KeyRange } from './key-range.js'
import type { WatchSink } from './sink.js'
import { Watcher, WatcherState } from './watcher.js'

/** etcd's cancel reasons for a create it refuses (mvcc/watcher.go). */
export const CancelReason = {
  EmptyRange: 'mvcc: watcher range is empty',
  DuplicateId: 'mvcc: duplicate watch ID provided on the WatchStream',
} as const

/** What a stream needs from the hub. */
export interface WatchHost {
  /** The store's committed revision. */
  readonly revision: number
  /** Starts feeding a new watcher (its minRev says from where). */
  register(w: Watcher): void
  /** Stops feeding a watcher, wherever it stands. */
  unregister(w: Watcher): void
  /** A progress request (answered once every watcher of the stream is synced). */
  requestProgress(stream: WatchStream): void
  /** The periodic progress notification of one watcher. */
  progressTick(w: Watcher): void
  /** The stream's sink can take responses again. */
  drained(stream: WatchStream): void
  /** The stream is closed (its watchers are unregistered already). */
  streamClosed(stream: WatchStream): void
}

export class WatchStream {
  private readonly watchers = new Map<number, Watcher>()
  /** Watchers holding events the sink could not take, in the order they got them. */
  readonly held = new Set<Watcher>()
  /** A progress request waits for the stream's watchers to catch up. */
  progressDeferred = false
  closed = false
  private nextId = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly host: WatchHost,
    readonly sink: WatchSink,
    private readonly progressIntervalMs: number,
  ) {}

  get size(): number {
    return this.watchers.size
  }

  list(): Watcher[] {
    return [...this.watchers.values()]
  }

  create(req: WatchCreateRequest): void {
    const rev = this.host.revision
    const range = KeyRange.fromRequest(req.key, req.range_end)
    let reason: string | undefined
    let id = req.watch_id
    if (range === undefined || this.closed) reason = CancelReason.EmptyRange
    else if (id === 0) {
      while (this.watchers.has(this.nextId)) this.nextId++
      id = this.nextId++
    } else if (this.watchers.has(id)) reason = CancelReason.DuplicateId
    if (reason !== undefined) {
      this.sink.send({ watchId: -1, revision: rev, created: true, canceled: true, cancelReason: reason })
      return
    }
    const start = req.start_revision
    const synced = start === 0 || start > rev
    const w = new Watcher(
      id,
      this,
      {
        range: range!,
        filters: req.filters,
        prevKv: req.prev_kv,
        progressNotify: req.progress_notify,
        fragment: req.fragment,
      },
      synced ? Math.max(rev + 1, start) : start,
    )
    this.watchers.set(id, w)
    this.sink.send({ watchId: id, revision: rev, created: true })
    this.host.register(w)
    if (w.progressNotify) this.startTicks()
  }

  /** Cancels a watcher; an unknown ID gets no answer (as in etcd). */
  cancel(id: number): void {
    const w = this.watchers.get(id)
    if (w === undefined) return
    this.watchers.delete(id)
    this.host.unregister(w)
    w.state = WatcherState.Canceled
    this.sink.send({ watchId: id, revision: this.host.revision, canceled: true })
  }

  requestProgress(): void {
    if (!this.closed) this.host.requestProgress(this)
  }

  /** Every watcher is synced (or finished): a progress response would not run ahead of events. */
  allSynced(): boolean {
    for (const w of this.watchers.values()) {
      if (w.state === WatcherState.Unsynced || w.state === WatcherState.Victim) return false
    }
    return true
  }

  drained(): void {
    if (!this.closed) this.host.drained(this)
  }

  /** The client went away: every watcher goes. */
  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.timer !== undefined) clearInterval(this.timer)
    for (const w of this.watchers.values()) {
      this.host.unregister(w)
      w.state = WatcherState.Canceled
    }
    this.watchers.clear()
    this.held.clear()
    this.host.streamClosed(this)
  }

  private startTicks(): void {
    if (this.timer !== undefined || this.closed) return
    // etcd adds up to 10% jitter so that streams created together do not notify together.
    const every = this.progressIntervalMs + Math.floor(Math.random() * (this.progressIntervalMs / 10))
    this.timer = setInterval(() => this.tick(), every)
    this.timer.unref()
  }

  private tick(): void {
    for (const w of this.watchers.values()) {
      if (!w.progressNotify) continue
      if (w.sentSinceTick) w.sentSinceTick = false
      else this.host.progressTick(w)
    }
  }
}
