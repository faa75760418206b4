/**
 * Watching over etcd's Watch stream, for tsetcd's commands and for programs; works against
 * tsetcd and a real etcd. Mirrors clientv3 where etcdctl's output depends on it:
 *
 * - Watchers share one stream and are created one at a time (the server assigns IDs).
 * - Fragmented responses are merged; created responses are not passed on; a progress
 *   response for watch ID -1 goes to every watcher.
 * - A watcher canceled by the server ends: with its response when it carries a compaction
 *   revision, silently otherwise.
 * - When the stream fails with UNAVAILABLE or INTERNAL (endpoint gone, server stopping) the
 *   session dials again (every endpoint; the same one once it is back) and re-creates each
 *   watcher from the revision after the last one it delivered, so nothing is missed and
 *   nothing repeated. Other failures end every watcher with a canceled response holding
 *   the error.
 *
 * Responses wait in a per-watcher queue until read; when the queues grow past a bound the
 * stream stops reading from the server (which then holds events back) until they shrink.
 */
import * as grpc from '@grpc/grpc-js'
import {
  WatchService,
  type WatchCreateRequestInit,
  type WatchRequestInit,
  type WatchResponse,
} from '../gen/etcdserverpb.js'
import type { Event } from '../gen/mvccpb.js'
import { ClientError, toClientError, type EtcdClient } from './client.js'

export interface WatchOptions {
  key: Buffer
  /** Empty: the key only; "\0": every key >= key. */
  rangeEnd?: Buffer
  /** First revision to deliver; 0: changes after the current revision. */
  startRevision?: number
  prevKv?: boolean
  progressNotify?: boolean
  /** WatchCreateRequest_FilterType values. */
  filters?: number[]
  fragment?: boolean
}

/** Connects (again): every endpoint is tried, the first that answers is used. */
export type Dial = () => Promise<EtcdClient>

/** What a watcher yields: a response, or the end of the watch. */
export type WatchItem = { response: WatchResponse } | { end: true }

const PAUSE_AT = 1000
const RETRY_MIN_MS = 50
const RETRY_MAX_MS = 2000

/** One watcher of the session: read its responses with next() or for-await. */
export class Watch implements AsyncIterable<WatchResponse> {
  /** Server-assigned ID on the current stream; -1 while (re)creating. */
  id = -1
  /** Revision to resume from; 0 until the server said where the watch started. */
  nextRev: number
  ended = false
  private readonly queue: WatchItem[] = []
  private waiter: ((item: WatchItem) => void) | undefined
  private fragments: Event[] = []

  constructor(
    readonly options: WatchOptions,
    private readonly session: WatchSession,
  ) {
    this.nextRev = options.startRevision ?? 0
  }

  /** The next response; undefined once the watch ended. */
  async next(): Promise<WatchResponse | undefined> {
    if (this.ended && this.queue.length === 0) return undefined
    const item = this.queue.shift() ?? (await new Promise<WatchItem>((resolve) => (this.waiter = resolve)))
    this.session.consumed()
    return 'end' in item ? undefined : item.response
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    for (;;) {
      const r = await this.next()
      if (r === undefined) return
      yield r
    }
  }

  get pending(): number {
    return this.queue.length
  }

  /** Stops watching (the server is told). */
  cancel(): void {
    this.session.cancel(this)
  }

  /** A response for this watcher from the stream (fragments merged here). */
  receive(r: WatchResponse): void {
    if (r.fragment) {
      for (const e of r.events) this.fragments.push(e)
      return
    }
    if (this.fragments.length > 0) {
      r.events = [...this.fragments, ...r.events]
      this.fragments = []
    }
    if (r.events.length > 0) this.nextRev = r.events[r.events.length - 1].kv!.mod_revision + 1
    else if (!r.canceled && r.compact_revision === 0 && r.header)
      this.nextRev = Math.max(this.nextRev, r.header.revision + 1)
    this.push({ response: r })
  }

  resetFragments(): void {
    this.fragments = []
  }

  finish(last?: WatchResponse): void {
    if (this.ended) return
    this.ended = true
    if (last !== undefined) this.push({ response: last })
    this.push({ end: true })
  }

  private push(item: WatchItem): void {
    const w = this.waiter
    if (w !== undefined) {
      this.waiter = undefined
      w(item)
    } else {
      this.queue.push(item)
    }
  }
}

export class WatchSession {
  private client: EtcdClient | undefined
  private call: grpc.ClientDuplexStream<WatchRequestInit, WatchResponse> | undefined
  private readonly watches = new Set<Watch>()
  private readonly byId = new Map<number, Watch>()
  /**
   * Watchers waiting for their created response, in request order; the head is in flight
   * (undefined when it was canceled meanwhile: its created response is still to come).
   */
  private creating: (Watch | undefined)[] = []
  private closed = false
  private paused = false
  private retryMs = RETRY_MIN_MS
  private connecting: Promise<void> | undefined

  private constructor(private readonly dial: Dial) {}

  /** A session on an already connected client; `dial` is used to reconnect. */
  static open(client: EtcdClient, dial: Dial): WatchSession {
    const s = new WatchSession(dial)
    s.attach(client)
    return s
  }

  get endpoint(): string | undefined {
    return this.client?.endpoint
  }

  watch(options: WatchOptions): Watch {
    const w = new Watch(options, this)
    if (this.closed) {
      w.finish()
      return w
    }
    this.watches.add(w)
    this.enqueueCreate(w)
    return w
  }

  /** Asks the server for a progress notification on every watcher (etcd's RequestProgress). */
  requestProgress(): void {
    this.call?.write({ progress_request: {} })
  }

  cancel(w: Watch): void {
    if (!this.watches.delete(w)) return
    if (w.id >= 0) {
      this.byId.delete(w.id)
      this.call?.write({ cancel_request: { watch_id: w.id } })
    }
    const i = this.creating.indexOf(w)
    if (i === 0) this.creating[0] = undefined
    else if (i > 0) this.creating.splice(i, 1)
    w.finish()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    for (const w of this.watches) w.finish()
    this.watches.clear()
    this.call?.cancel()
    this.call = undefined
    this.client?.close()
  }

  /** A watcher's queue shrank: read from the server again if it was paused. */
  consumed(): void {
    if (!this.paused) return
    let queued = 0
    for (const w of this.watches) queued += w.pending
    if (queued < PAUSE_AT / 2) {
      this.paused = false
      this.call?.resume()
    }
  }

  private attach(client: EtcdClient): void {
    this.client = client
    const call = client.duplex(WatchService.Watch)
    this.call = call
    this.byId.clear()
    this.creating = []
    call.on('data', (r: WatchResponse) => {
      if (call === this.call) this.onResponse(r)
    })
    call.on('error', (err: grpc.ServiceError) => {
      if (call === this.call) this.onFailure(err)
    })
    call.on('end', () => {
      // The server ended the stream without an error: clientv3 gives up on it (io.EOF).
      if (call === this.call) this.halt(new ClientError('EOF', grpc.status.UNKNOWN))
    })
    for (const w of this.watches) {
      w.id = -1
      w.resetFragments()
      this.enqueueCreate(w)
    }
  }

  private enqueueCreate(w: Watch): void {
    this.creating.push(w)
    if (this.creating.length === 1) this.sendCreate(w)
  }

  private sendCreate(w: Watch): void {
    const o = w.options
    const req: WatchCreateRequestInit = {
      key: o.key,
      range_end: o.rangeEnd,
      start_revision: w.nextRev,
      progress_notify: o.progressNotify,
      filters: o.filters,
      prev_kv: o.prevKv,
      fragment: o.fragment,
    }
    this.call?.write({ create_request: req })
  }

  private onResponse(r: WatchResponse): void {
    if (r.created) {
      const w = this.creating.shift()
      const refused = r.watch_id === -1 || (r.canceled && r.cancel_reason !== '')
      if (w === undefined) {
        // Canceled while being created.
        if (!refused) this.call?.write({ cancel_request: { watch_id: r.watch_id } })
      } else if (this.watches.has(w)) {
        if (refused) {
          // Refused (e.g. an empty range): the watcher ends as clientv3 ends it, with the reason
          // and no header.
          this.watches.delete(w)
          w.finish({ ...r, header: undefined, created: false, canceled: true, events: [] })
        } else {
          w.id = r.watch_id
          this.byId.set(w.id, w)
          if (w.nextRev === 0 && r.header) w.nextRev = r.header.revision + 1
        }
      }
      const next = this.creating[0]
      if (next !== undefined) this.sendCreate(next)
      return
    }
    if (r.canceled && r.compact_revision === 0) {
      const w = this.byId.get(r.watch_id)
      if (w !== undefined) this.end(w)
      return
    }
    if (r.watch_id === -1 && r.events.length === 0) {
      for (const w of this.byId.values()) w.receive({ ...r })
    } else {
      const w = this.byId.get(r.watch_id)
      if (w === undefined) return
      w.receive(r)
      if (r.compact_revision !== 0) this.end(w)
    }
    this.retryMs = RETRY_MIN_MS
    this.maybePause()
  }

  private end(w: Watch, last?: WatchResponse): void {
    this.byId.delete(w.id)
    this.watches.delete(w)
    w.finish(last)
  }

  private maybePause(): void {
    if (this.paused) return
    let queued = 0
    for (const w of this.watches) queued += w.pending
    if (queued >= PAUSE_AT) {
      this.paused = true
      this.call?.pause()
    }
  }

  private onFailure(err: grpc.ServiceError): void {
    if (this.closed) return
    if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.INTERNAL) this.reconnect()
    else this.halt(toClientError(err))
  }

  /** A failure retrying cannot help: every watcher ends with a canceled response holding it. */
  private halt(err: ClientError): void {
    this.call = undefined
    for (const w of [...this.watches]) {
      this.end(w, {
        header: undefined,
        watch_id: w.id,
        created: false,
        canceled: true,
        compact_revision: 0,
        cancel_reason: err.message,
        fragment: false,
        events: [],
      })
    }
    this.close()
  }

  private reconnect(): void {
    this.call = undefined
    this.paused = false
    if (this.connecting !== undefined) return
    const old = this.client
    this.client = undefined
    this.connecting = (async () => {
      while (!this.closed) {
        await new Promise((r) => setTimeout(r, this.retryMs))
        this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2)
        if (this.closed) break
        try {
          const client = await this.dial()
          if (this.closed) {
            client.close()
            break
          }
          old?.close()
          this.attach(client)
          break
        } catch {
          // no endpoint answered: try again
        }
      }
      this.connecting = undefined
    })()
  }
}
