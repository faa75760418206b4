/**
 * A RaftNode over in-memory raft storage, bootstrapped with `voters`, with an application
 * that only applies conf changes, a snapshotter that keeps nothing and a transport that drops
 * what it is given unless told otherwise: the loop alone, for its unit tests.
 */
import { MemoryStorage, bootstrapLog, type NodeId } from '../../../src/raft/index.js'
import { RaftNode, type RaftApplication, type RaftNodeOptions } from '../../../src/server/raftnode/raft-node.js'
import type { Wal } from '../../../src/server/wal/index.js'
import type { Snapshotter } from '../../../src/server/snap/index.js'
import { createLogger } from '../../../src/server/log.js'

export function memoryNode(voters: NodeId[], wal: Partial<Wal>, options: Partial<RaftNodeOptions> = {}): RaftNode {
  const storage = new MemoryStorage()
  const boot = bootstrapLog(voters)
  storage.append(boot.entries)
  storage.setHardState(boot.hardState)
  const app: RaftApplication = {
    applyEntries: (entries, n) => {
      for (const e of entries) if (e.type === 'confChange') n.applyConfChange(e.data)
    },
    restore: async () => undefined,
    syncApplied: () => undefined,
    snapshotBody: () => ({ index: 0, body: (async function* () {})() }),
    readStates: () => undefined,
    softState: () => undefined,
  }
  return new RaftNode({
    id: voters[0],
    storage,
    wal: wal as Wal,
    snapshotter: { save: async () => undefined, purge: async () => [] } as unknown as Snapshotter,
    transport: { send: () => undefined, sendSnapshot: async () => true },
    app,
    logger: createLogger('error', []),
    tickMs: 10,
    electionTick: 10,
    heartbeatTick: 1,
    preVote: true,
    applied: 0,
    snapshotCount: 100,
    maxWals: 5,
    maxSnapshots: 5,
    proposalsDropped: () => undefined,
    ...options,
  })
}
