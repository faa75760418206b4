/**
 * Proposals queued within one turn of the loop reach raft as batches: a follower forwards
 * them to the leader as one MsgProp (or several, each about raft's message size limit), in
 * the order they were proposed; a batch raft refuses goes to proposalsDropped whole.
 */
import assert from 'node:assert/strict'
import { makeMessage, type Message } from '../../../src/raft/index.js'
import type { RaftNode } from '../../../src/server/raftnode/raft-node.js'
import { memoryNode } from './memory-node.js'
import { waitFor } from '../../helpers/wait.js'

interface Harness {
  node: RaftNode
  sent: Message[]
  dropped: { datas: Uint8Array[]; err: Error }[]
}

/**
 * Member 1 of the voters 1 and 2, never elected itself (its election timeout is far away),
 * unless `campaign`: then it campaigns at once (and wins once member 2's vote is stepped).
 */
function follower(campaign = false): Harness {
  const sent: Message[] = []
  const dropped: Harness['dropped'] = []
  const wal = { save: async () => undefined, saveSnapshot: async () => undefined, flush: () => undefined }
  const node = memoryNode([1n, 2n], wal, {
    transport: { send: (msgs) => void sent.push(...msgs), sendSnapshot: async () => true },
    proposalsDropped: (datas, err) => void dropped.push({ datas, err }),
    ...(campaign ? { preVote: false, advanceTicks: 20 } : { tickMs: 60_000 }),
  })
  return { node, sent, dropped }
}

const proposalsTo = (sent: Message[]): Message[] => sent.filter((m) => m.type === 'MsgProp' && m.to === 2n)

describe('proposal batches', () => {
  it('a follower forwards the proposals of one turn to the leader as one message, in order', async () => {
    const { node, sent } = follower()
    node.start()
    node.step(makeMessage({ type: 'MsgHeartbeat', from: 2n, to: 1n, term: 2 }))
    await waitFor(() => node.leader === 2n, 2000)
    for (let i = 0; i < 50; i++) node.propose(new Uint8Array([i]))
    await waitFor(() => proposalsTo(sent).length > 0, 2000)
    const props = proposalsTo(sent)
    assert.equal(props.length, 1)
    assert.deepEqual(
      props[0].entries.map((e) => e.data[0]),
      Array.from({ length: 50 }, (_, i) => i),
    )
    await node.stop()
  })

  it('batches stay within raft message size; one larger proposal goes alone', async () => {
    const { node, sent } = follower()
    node.start()
    node.step(makeMessage({ type: 'MsgHeartbeat', from: 2n, to: 1n, term: 2 }))
    await waitFor(() => node.leader === 2n, 2000)
    const sizes = [400_000, 400_000, 400_000, 3_000_000, 10, 10]
    sizes.forEach((n, i) => node.propose(new Uint8Array(n).fill(i)))
    await waitFor(() => proposalsTo(sent).reduce((k, m) => k + m.entries.length, 0) === sizes.length, 2000)
    const batches = proposalsTo(sent).map((m) => m.entries.map((e) => e.data.length))
    assert.deepEqual(batches, [[400_000, 400_000], [400_000], [3_000_000], [10, 10]])
    const order = proposalsTo(sent).flatMap((m) => m.entries.map((e) => e.data[0]))
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5])
    await node.stop()
  })

  it('without a leader, the whole batch is handed back as dropped', async () => {
    const { node, sent, dropped } = follower()
    node.start()
    node.propose(new Uint8Array([1]))
    node.propose(new Uint8Array([2]))
    await waitFor(() => dropped.length > 0, 2000)
    assert.equal(dropped.length, 1)
    assert.deepEqual(
      dropped[0].datas.map((d) => d[0]),
      [1, 2],
    )
    assert.match(dropped[0].err.message, /proposal dropped/)
    assert.equal(proposalsTo(sent).length, 0)
    await node.stop()
  })

  it('proposals made while leading a term are lost if the term ends first, never forwarded to the next leader', async () => {
    const { node, sent } = follower(true)
    node.start()
    await waitFor(() => sent.some((m) => m.type === 'MsgVote'), 2000)
    const vote = sent.find((m) => m.type === 'MsgVote')!
    node.step(makeMessage({ type: 'MsgVoteResp', from: 2n, to: 1n, term: vote.term }))
    await waitFor(() => node.leader === 1n, 2000)
    // Queued as leader, then deposed within the same turn (member 2 leads a later term).
    node.propose(new Uint8Array([7]))
    node.propose(new Uint8Array([8]))
    node.step(makeMessage({ type: 'MsgHeartbeat', from: 2n, to: 1n, term: vote.term + 1 }))
    // Queued as a follower: forwarded.
    node.propose(new Uint8Array([9]))
    await waitFor(() => proposalsTo(sent).length > 0, 2000)
    await waitFor(() => node.proposalsLost === 2, 2000)
    const forwarded = proposalsTo(sent).flatMap((m) => m.entries.map((e) => e.data[0]))
    assert.deepEqual(forwarded, [9])
    await node.stop()
  })
})
