/**
 * The raft loop: a failure (here, a WAL that cannot write) ends the loop loudly: onFatal is
 * told once, the node reports the failure, and proposals are refused from then on.
 */
import assert from 'node:assert/strict'
import { MemoryStorage, bootstrapLog } from '../../../src/raft/index.js'
import { RaftNode, type RaftApplication } from '../../../src/server/raftnode/raft-node.js'
import type { Wal } from '../../../src/server/wal/index.js'
import type { Snapshotter } from '../../../src/server/snap/index.js'
import { createLogger } from '../../../src/server/log.js'

function node(wal: Partial<Wal>, onFatal: (err: Error) => void): RaftNode {
  const storage = new MemoryStorage()
  const boot = bootstrapLog([1n])
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
    id: 1n,
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
    advanceTicks: 9,
    onFatal,
  })
}

describe('raft loop failure', () => {
  it('tells onFatal once, reports the failure and refuses proposals', async () => {
    const fatal: Error[] = []
    let told!: () => void
    const toldP = new Promise<void>((r) => (told = r))
    const n = node(
      {
        save: async () => Promise.reject(new Error('disk on fire')),
        saveSnapshot: async () => undefined,
        flush: () => undefined,
      },
      (err) => {
        fatal.push(err)
        told()
      },
    )
    n.start()
    await toldP
    await n.stop()
    assert.equal(fatal.length, 1)
    assert.match(fatal[0]!.message, /disk on fire/)
    assert.match(n.failure!.message, /disk on fire/)
    assert.throws(() => n.propose(new Uint8Array([1])), /disk on fire/)
  })
})
