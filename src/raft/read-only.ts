/**
 * Linearizable reads on the leader (ReadIndex). A request records the commit
 * index when it arrives; requests that arrived since the last broadcast
 * share the next heartbeat round; once a quorum of voters acknowledged a
 * round (an acknowledgement of a later round counts for earlier ones), every
 * request of that round or before is released, oldest first.
 */
import type { NodeId } from './types.js'

export interface ReadRequest {
  /** Commit index when the request arrived. */
  index: number
  ctx: Uint8Array
  /** Requesting node (the leader itself for local requests). */
  from: NodeId
  /** Heartbeat round confirming it; 0 until broadcast. */
  round: number
}

export class ReadOnly {
  private queue: ReadRequest[] = []
  private unsent = 0
  private lastRound = 0
  private readonly acked = new Map<NodeId, number>()

  get pendingCount(): number {
    return this.queue.length
  }

  add(index: number, ctx: Uint8Array, from: NodeId): void {
    this.queue.push({ index, ctx, from, round: 0 })
    this.unsent++
  }

  /** Requests wait for a heartbeat round to be started. */
  hasUnsent(): boolean {
    return this.unsent > 0
  }

  /** Assigns every waiting request to a new round and returns its number. */
  startRound(): number {
    const round = ++this.lastRound
    for (let i = this.queue.length - this.unsent; i < this.queue.length; i++) this.queue[i]!.round = round
    this.unsent = 0
    return round
  }

  recvAck(from: NodeId, round: number): void {
    if (round > (this.acked.get(from) ?? 0)) this.acked.set(from, round)
  }

  ackedRound(from: NodeId): number {
    return this.acked.get(from) ?? 0
  }

  /**
   * Removes and returns the requests confirmed by now, given `confirmed(round)`
   * telling whether a quorum acknowledged `round`.
   */
  release(confirmed: (round: number) => boolean): ReadRequest[] {
    let n = 0
    while (n < this.queue.length) {
      const round = this.queue[n]!.round
      if (round === 0 || !confirmed(round)) break
      n++
    }
    if (n === 0) return []
    const out = this.queue.slice(0, n)
    this.queue = this.queue.slice(n)
    return out
  }
}

/** Heartbeat context carrying a read round number (8 bytes, big-endian). */
export function encodeRound(round: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(round))
  return out
}

export function decodeRound(ctx: Uint8Array | undefined): number {
  if (!ctx || ctx.byteLength !== 8) return 0
  return Number(new DataView(ctx.buffer, ctx.byteOffset, 8).getBigUint64(0))
}
