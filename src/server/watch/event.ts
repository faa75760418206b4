/**
 * A watch event shared by every watcher that receives it: the change, its previous
 * KeyValue once looked up, and its encoding (mvccpb.Event) computed once per form.
 */
import { Event_EventType, encodeEvent, type KeyValue } from '../../gen/mvccpb.js'

export class WatchEvent {
  /** The previous KeyValue; meaningful once `prevKnown`. */
  prev: KeyValue | undefined
  prevKnown: boolean
  private plain: Buffer | undefined
  private withPrev: Buffer | undefined
  private skeyCache: string | undefined
  private aloneCache: readonly WatchEvent[] | undefined

  constructor(
    readonly type: number,
    readonly kv: KeyValue,
    prev?: KeyValue,
    prevKnown = false,
    skey?: string,
  ) {
    this.prev = prev
    // A create has nothing before it (etcd does not look one up either).
    this.prevKnown =
      prevKnown || prev !== undefined || (type === Event_EventType.PUT && kv.create_revision === kv.mod_revision)
    this.skeyCache = skey
  }

  /** A list of this event alone, shared by every watcher that gets only it from a commit. */
  get alone(): readonly WatchEvent[] {
    return (this.aloneCache ??= [this])
  }

  get revision(): number {
    return this.kv.mod_revision
  }

  /** The key as a latin1 string (the form watcher indexes use). */
  get skey(): string {
    return (this.skeyCache ??= this.kv.key.toString('latin1'))
  }

  /** The encoded mvccpb.Event, with prev_kv for watchers that asked for it. */
  bytes(includePrev: boolean): Buffer {
    if (includePrev && this.prev !== undefined) {
      this.withPrev ??= encodeEvent({ type: this.type, kv: this.kv, prev_kv: this.prev })
      return this.withPrev
    }
    this.plain ??= encodeEvent({ type: this.type, kv: this.kv })
    return this.plain
  }
}
