/** Transports on loopback ports, with a raft handler and a logger that record what they see. */
import { PeerTransport, type PeerTransportOptions } from '../../../src/server/peer/index.js'
import { makeMessage, type Message, type NodeId } from '../../../src/raft/types.js'
import type { RaftHandler, TransportLogger } from '../../../src/server/peer/types.js'
import { sleep, waitFor } from '../../helpers/wait.js'
export { sleep, waitFor }

export const CLUSTER_ID = 0x7e27652122e8b2aen

/** A heartbeat whose commit field numbers it, to follow order. */
export function heartbeat(from: NodeId, to: NodeId, seq: number): Message {
  return makeMessage({ type: 'MsgHeartbeat', from, to, term: 1, commit: seq })
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn'
  msg: string
  fields: Record<string, unknown>
}

export class RecordingLogger implements TransportLogger {
  readonly lines: LogLine[] = []
  debug(msg: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'debug', msg, fields })
  }
  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'info', msg, fields })
  }
  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'warn', msg, fields })
  }
  find(level: LogLine['level'], msg: string): LogLine[] {
    return this.lines.filter((l) => l.level === level && l.msg === msg)
  }
}

export class RecordingHandler implements RaftHandler {
  readonly received: Message[] = []
  readonly unreachable: NodeId[] = []
  readonly snapshotReports: { id: NodeId; ok: boolean }[] = []
  onSnapshot?: RaftHandler['onSnapshot']
  onMessage(msg: Message): void {
    this.received.push(msg)
  }
  reportUnreachable(id: NodeId): void {
    this.unreachable.push(id)
  }
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.snapshotReports.push({ id, ok })
  }
}

export interface Node {
  id: NodeId
  transport: PeerTransport
  handler: RecordingHandler
  log: RecordingLogger
  url: string
}

export const FAST_BACKOFF = { initialMs: 20, maxMs: 200, random: () => 0.5 }

export async function startNode(id: NodeId, opts: Partial<PeerTransportOptions> = {}): Promise<Node> {
  const handler = new RecordingHandler()
  const log = new RecordingLogger()
  const transport = new PeerTransport({
    memberId: id,
    clusterId: CLUSTER_ID,
    listenUrls: ['http://127.0.0.1:0'],
    handler,
    logger: log,
    backoff: FAST_BACKOFF,
    ...opts,
  })
  await transport.start()
  return { id, transport, handler, log, url: transport.urls[0] }
}

/** Starts `n` members (IDs 1..n) and makes them all peers of each other. */
export async function startCluster(n: number, opts: Partial<PeerTransportOptions> = {}): Promise<Node[]> {
  const nodes: Node[] = []
  for (let i = 1; i <= n; i++) nodes.push(await startNode(BigInt(i), opts))
  for (const a of nodes) for (const b of nodes) if (a !== b) a.transport.addPeer(b.id, [b.url])
  await waitFor(
    () => nodes.every((a) => nodes.every((b) => a === b || a.transport.activeSince(b.id) !== undefined)),
    5000,
    'all streams active',
  )
  return nodes
}

export async function stopAll(nodes: Node[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.transport.stop()))
}

/** The TCP handles this process holds open (servers and sockets). */
export function openNetworkHandles(): number {
  return process
    .getActiveResourcesInfo()
    .filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap' || r === 'TLSWrap').length
}
