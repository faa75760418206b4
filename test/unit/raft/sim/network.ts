/**
 * A simulated network between members: messages can be dropped, duplicated,
 * delayed (hence reordered) and blocked by partitions. Time is the cluster's
 * tick count.
 */
import type { Message, NodeId } from '../../../../src/raft/index.js'
import type { Rng } from '../../../helpers/rng.js'

export interface Faults {
  /** Probability that a sent message is lost. */
  drop: number
  /** Probability that a sent message is delivered twice. */
  duplicate: number
  /** Maximum delay in ticks (uniform in [0, maxDelay]). */
  maxDelay: number
}

export const RELIABLE: Faults = { drop: 0, duplicate: 0, maxDelay: 0 }

interface InFlight {
  msg: Message
  deliverAt: number
}

export class Network {
  private inFlight: InFlight[] = []
  /** Directed links that are down, as "from>to". */
  private readonly cut = new Set<string>()
  faults: Faults

  constructor(
    private readonly rng: Rng,
    faults: Faults = RELIABLE,
  ) {
    this.faults = faults
  }

  get size(): number {
    return this.inFlight.length
  }

  /**
   * Who put each message on the wire. A forwarded request keeps the
   * requester in `from`, but travels over the forwarder's links.
   */
  private readonly senders = new WeakMap<Message, NodeId>()

  /** Queues `msg` sent by `sender` (default `msg.from`); returns false if it was lost on the way. */
  send(msg: Message, now: number, sender: NodeId = msg.from): boolean {
    this.senders.set(msg, sender)
    if (this.faults.drop > 0 && this.rng.chance(this.faults.drop)) return false
    const copies = this.faults.duplicate > 0 && this.rng.chance(this.faults.duplicate) ? 2 : 1
    for (let i = 0; i < copies; i++) {
      const delay = this.faults.maxDelay > 0 ? this.rng.int(this.faults.maxDelay + 1) : 0
      this.inFlight.push({ msg, deliverAt: now + delay })
    }
    return true
  }

  /** The member that sent `msg` (its `from` unless it was forwarded). */
  senderOf(msg: Message): NodeId {
    return this.senders.get(msg) ?? msg.from
  }

  connected(from: NodeId, to: NodeId): boolean {
    return !this.cut.has(`${from}>${to}`)
  }

  /** Cuts both directions between a and b. */
  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}>${b}`)
    this.cut.add(`${b}>${a}`)
  }

  /** Cuts the direction from -> to only: `to` still reaches `from`. */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`)
  }

  /** Splits members into groups that cannot talk to each other. */
  partition(groups: NodeId[][]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        for (const a of groups[i]!) for (const b of groups[j]!) this.cutLink(a, b)
      }
    }
  }

  isolate(id: NodeId, all: NodeId[]): void {
    for (const other of all) if (other !== id) this.cutLink(id, other)
  }

  heal(): void {
    this.cut.clear()
  }

  hasPartitions(): boolean {
    return this.cut.size > 0
  }

  /** Removes and returns a random message due by `now` (or any message if `ignoreDelay`). */
  takeRandom(now: number, ignoreDelay = false): Message | undefined {
    const due: number[] = []
    for (let i = 0; i < this.inFlight.length; i++) if (ignoreDelay || this.inFlight[i]!.deliverAt <= now) due.push(i)
    if (due.length === 0) return undefined
    const i = this.rng.pick(due)
    const [item] = this.inFlight.splice(i, 1)
    return item!.msg
  }

  /** Removes and returns every message, in send order. */
  takeAll(): Message[] {
    const out = this.inFlight.map((f) => f.msg)
    this.inFlight = []
    return out
  }

  /** Drops every in-flight message matching `pred`; returns them. */
  dropWhere(pred: (m: Message) => boolean): Message[] {
    const dropped = this.inFlight.filter((f) => pred(f.msg)).map((f) => f.msg)
    this.inFlight = this.inFlight.filter((f) => !pred(f.msg))
    return dropped
  }
}
