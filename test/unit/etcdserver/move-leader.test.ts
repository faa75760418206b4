import { strict as assert } from 'node:assert'
import { Errors } from '../../../src/errors/rpctypes.js'
import { Reconfig } from '../../../src/server/etcdserver/reconfig.js'
import type { Member } from '../../../src/server/membership/member.js'
import type { MemberStore } from '../../../src/server/membership/store.js'
import type { RaftNode } from '../../../src/server/raftnode/raft-node.js'
import { createLogger } from '../../../src/server/log.js'
import { emptyStateMachine } from './fakes.js'

/** The leader (member 1) of members 1, 2 (voters) and 3 (a learner). */
class LeaderNode {
  leader = 1n
  readonly transfers: bigint[] = []
  /** When set, the target leads this long after the transfer is asked. */
  takesMs: number | undefined = 0
  transferLeader(to: bigint): void {
    this.transfers.push(to)
    if (this.takesMs !== undefined) setTimeout(() => (this.leader = to), this.takesMs)
  }
}

const members: Member[] = [
  { id: 1n, name: 'a', peerURLs: ['http://a:1'], clientURLs: [], isLearner: false },
  { id: 2n, name: 'b', peerURLs: ['http://b:1'], clientURLs: [], isLearner: false },
  { id: 3n, name: 'c', peerURLs: ['http://c:1'], clientURLs: [], isLearner: true },
]
const store = { get: (id: bigint) => members.find((m) => m.id === id) } as unknown as MemberStore

function reconfig(node: LeaderNode, requestTimeoutMs = 2000): Reconfig {
  const r = new Reconfig({
    memberId: 1n,
    store,
    sm: emptyStateMachine,
    requestTimeoutMs,
    strictReconfigCheck: true,
    logger: createLogger('error', []),
    hooks: {
      activeSince: () => undefined,
      changed: () => undefined,
      removed: () => undefined,
      forwardPromote: async () => undefined,
    },
    self: { name: 'a', clientURLs: [] },
    seed: () => undefined,
  })
  r.attach(node as unknown as RaftNode)
  return r
}

describe('MoveLeader (etcd 3.4 semantics)', () => {
  it('hands leadership to a voter and answers once it leads', async () => {
    const node = new LeaderNode()
    node.takesMs = 30
    await reconfig(node).moveLeader(2n)
    assert.deepEqual(node.transfers, [2n])
    assert.equal(node.leader, 2n)
  })

  it('refuses on a follower, for a learner and for an unknown ID, asking raft nothing', async () => {
    const node = new LeaderNode()
    node.leader = 2n
    await assert.rejects(reconfig(node).moveLeader(2n), Errors.NotLeader)
    node.leader = 1n
    await assert.rejects(reconfig(node).moveLeader(3n), Errors.BadLeaderTransferee)
    await assert.rejects(reconfig(node).moveLeader(9n), Errors.BadLeaderTransferee)
    assert.deepEqual(node.transfers, [])
  })

  it('to the leader itself: nothing to wait for', async () => {
    const node = new LeaderNode()
    node.takesMs = undefined
    await reconfig(node).moveLeader(1n)
    assert.equal(node.leader, 1n)
  })

  it('gives up with "leader transfer took too long" at the request timeout or when the call is cancelled', async () => {
    const node = new LeaderNode()
    node.takesMs = undefined // the target never takes over
    await assert.rejects(reconfig(node, 100).moveLeader(2n), Errors.TimeoutLeaderTransfer)
    const ac = new AbortController()
    setTimeout(() => ac.abort(Errors.Canceled), 50)
    await assert.rejects(reconfig(node).moveLeader(2n, ac.signal), Errors.TimeoutLeaderTransfer)
    assert.equal(Errors.TimeoutLeaderTransfer.message, 'etcdserver: request timed out, leader transfer took too long')
  })
})
