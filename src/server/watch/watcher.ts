/**
 * One watcher: what it watches, from which revision on, and where it stands.
 *
 *   synced     caught up: told about each commit as it happens
 *   unsynced   behind the store: catches up from history in the background
 *   victim     its stream could not take its last batch of events; it holds that batch
 *              and goes on (unsynced or synced) once the stream drains
 *   compacted  its next revision was compacted away; told so and no longer fed
 *   canceled   removed
 */
import { Event_EventType } from '../../gen/mvccpb.js'
import { WatchCreateRequest_FilterType } from '../../gen/etcdserverpb.js'
import type { CommitDelivery } from './delivery.js'
import type { WatchEvent } from './event.js'
import type { KeyRange } from './key-range.js'
import type { WatchStream } from './stream.js'

export const enum WatcherState {
  Synced,
  Unsynced,
  Victim,
  Compacted,
  Canceled,
}

export interface WatcherOptions {
  range: KeyRange
  /** Filter types (WatchCreateRequest_FilterType) of events not to send. */
  filters: readonly number[]
  prevKv: boolean
  progressNotify: boolean
  fragment: boolean
}

/** Events held for a watcher whose stream was full, with the header revision to send them at. */
export interface HeldBatch {
  events: readonly WatchEvent[]
  revision: number
}

export class Watcher {
  state = WatcherState.Unsynced
  /** The lowest revision this watcher still has to receive. */
  minRev: number
  held: HeldBatch | undefined
  /** Events went out since the last progress tick (the next progress notification is skipped). */
  sentSinceTick = false
  /** The commit delivery that took events for this watcher and is not sent yet, and its slot there. */
  delivery: CommitDelivery | undefined = undefined
  deliverySlot = 0
  readonly range: KeyRange
  readonly prevKv: boolean
  readonly progressNotify: boolean
  readonly fragment: boolean
  private readonly noPut: boolean
  private readonly noDelete: boolean

  constructor(
    readonly id: number,
    /** The stream the watcher was created on (its responses go there). */
    readonly stream: WatchStream,
    opts: WatcherOptions,
    minRev: number,
  ) {
    this.range = opts.range
    this.prevKv = opts.prevKv
    this.progressNotify = opts.progressNotify
    this.fragment = opts.fragment
    this.noPut = opts.filters.includes(WatchCreateRequest_FilterType.NOPUT)
    this.noDelete = opts.filters.includes(WatchCreateRequest_FilterType.NODELETE)
    this.minRev = minRev
  }

  /** Whether an event of this type passes the watcher's filters. */
  accepts(type: number): boolean {
    return type === Event_EventType.PUT ? !this.noPut : !this.noDelete
  }

  /** Whether the event is for this watcher (key, filters, revision). */
  wants(ev: WatchEvent): boolean {
    return ev.revision >= this.minRev && this.accepts(ev.type) && this.range.contains(ev.skey)
  }
}
