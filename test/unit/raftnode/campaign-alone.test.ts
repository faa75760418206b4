/**
 * campaignAlone: a member that is the only voter once its log is applied elects itself at
 * once, without waiting for its election timeout; with another voter it waits as before.
 */
import assert from 'node:assert/strict'
import type { Message } from '../../../src/raft/index.js'
import { memoryNode } from './memory-node.js'
import { waitFor } from '../../helpers/wait.js'

const wal = { save: async () => undefined, saveSnapshot: async () => undefined, flush: () => undefined }

describe('raft loop: campaigning alone', () => {
  it('the only voter elects itself before any tick', async () => {
    // No tick fires within the test: the election timeout alone would never elect it.
    const node = memoryNode([1n], wal, { tickMs: 60_000, campaignAlone: true })
    node.start()
    await waitFor(() => node.leader === 1n, 5000)
    await node.stop()
  })

  it('one of two voters does not campaign early', async () => {
    const sent: Message[] = []
    const node = memoryNode([1n, 2n], wal, {
      tickMs: 60_000,
      campaignAlone: true,
      transport: { send: (msgs) => void sent.push(...msgs), sendSnapshot: async () => true },
    })
    node.start()
    await waitFor(() => node.applied === 2, 5000)
    // The turn that applied the log has decided by the time the loop is idle.
    await node.exclusive(async () => undefined)
    assert.deepEqual(
      sent.filter((m) => m.type === 'MsgPreVote' || m.type === 'MsgVote'),
      [],
    )
    assert.equal(node.leader, 0n)
    await node.stop()
  })
})
