/**
 * The shapes the peer transport exchanges with the server that embeds it: the callbacks into
 * the raft layer, the logger, member descriptions for discovery, and the tuning knobs.
 */
import type { Message, NodeId } from '../../raft/types.js'

/** What the transport needs from a logger; src/server/log.ts's Logger fits. */
export interface TransportLogger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
}

/** Callbacks into the member's raft loop. */
export interface RaftHandler {
  /** A message arrived from a peer; feed it to `raft.step()`. Called in arrival order per peer. */
  onMessage(msg: Message): void
  /**
   * Messages to `id` were dropped (peer down, queue full, connection lost with messages unsent).
   * Called at most once per peer per event-loop turn, never from inside `send()`.
   */
  reportUnreachable(id: NodeId): void
  /** Outcome of a MsgSnap sent to `id`: `ok` once the peer has taken the whole snapshot. */
  reportSnapshot(id: NodeId, ok: boolean): void
  /**
   * Receives a snapshot's data as it streams in; `msg.snapshot.data` is empty and `body` yields
   * the data chunks. The promise must settle only after `body` has been read to its end (the
   * iteration throws if the stream was truncated or fails its checksum). When it resolves, the
   * transport passes `msg` to `onMessage`. Without this callback, the transport gathers the
   * data into `msg.snapshot.data` itself.
   */
  onSnapshot?(msg: Message, body: AsyncIterable<Uint8Array>): Promise<void>
}

/** One member as `GET /members` reports it. */
export interface MemberInfo {
  id: NodeId
  name: string
  peerURLs: string[]
  clientURLs: string[]
}

/** `GET /version`'s answer. */
export interface VersionInfo {
  etcdserver: string
  etcdcluster: string
}

export interface QueueLimits {
  /** Messages waiting for one peer's stream before new ones are dropped (default 4096). */
  maxMessages: number
  /** Their approximate encoded size (default 64 MiB). */
  maxBytes: number
}

export interface BackoffOptions {
  /** First reconnect delay (default 100 ms). */
  initialMs?: number
  /** Cap on the delay (default 5000 ms). */
  maxMs?: number
  /** Growth per failed attempt (default 2). */
  factor?: number
  /** Each delay is scaled by a factor in [1 - jitter, 1 + jitter] (default 0.2). */
  jitter?: number
  /** Source of randomness in [0, 1) (default Math.random). */
  random?: () => number
}
