/**
 * The raft loop: a failure (here, a WAL that cannot write) ends the loop loudly: onFatal is
 * told once, the node reports the failure, and proposals are refused from then on.
 */
import assert from 'node:assert/strict'
import type { RaftNode } from '../../../src/server/raftnode/raft-node.js'
import type { Wal } from '../../../src/server/wal/index.js'
import { memoryNode } from './memory-node.js'

function node(wal: Partial<Wal>, onFatal: (err: Error) => void): RaftNode {
  return memoryNode([1n], wal, { advanceTicks: 9, onFatal })
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
