/**
 * In-memory stand-ins for EtcdServer's collaborators: the parts of the raft node that reads
 * and proposals use (recording what was asked), and a state machine that answers empty.
 */
import { EtcdServer } from '../../../src/server/etcdserver/server.js'
import type { StateMachine } from '../../../src/server/apply/applier.js'
import type { RaftNode } from '../../../src/server/raftnode/raft-node.js'
import { createLogger } from '../../../src/server/log.js'

export class FakeNode {
  readonly asked: Uint8Array[] = []
  readonly proposed: Uint8Array[] = []
  leader = 1n
  applied = 10
  currentTerm = 2
  lastIndex = 10
  readIndex(ctx: Uint8Array): void {
    this.asked.push(Buffer.from(ctx))
  }
  propose(data: Uint8Array): void {
    this.proposed.push(data)
  }
}

export const emptyStateMachine: StateMachine = {
  applyBatch: () => [],
  markApplied: () => undefined,
  applyRecords: () => undefined,
  range: async () => ({ kvs: [], count: 0, more: false }),
  readOnlyTxn: () => ({ succeeded: true, responses: [] }),
  revision: 1,
  appliedIndex: 10,
  dbSize: () => 0,
  dbSizeInUse: () => 0,
  hashKV: async () => ({ hash: 0, revision: 0, compactRevision: 0 }),
  hash: async () => ({ hash: 0, revision: 0 }),
}

/** A server for member 7 of cluster 9 on `node`. */
export function serverOn(node: FakeNode, requestTimeoutMs = 2000): EtcdServer {
  const s = new EtcdServer(
    emptyStateMachine,
    { memberId: 7n, clusterId: 9n },
    { requestTimeoutMs, logger: createLogger('error', []) },
  )
  s.attach(node as unknown as RaftNode)
  return s
}

export const nextTurn = (): Promise<unknown> => new Promise((r) => setImmediate(r))
