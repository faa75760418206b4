/**
 * Linearizable reads: a ReadIndex answer is matched to its request by a context unique in
 * the cluster and across restarts, so a late answer to another process's request with the
 * same member ID (an earlier incarnation) is never taken for ours.
 */
import assert from 'node:assert/strict'
import { FakeNode, nextTurn, serverOn } from './fakes.js'
import type { RangeRequest } from '../../../src/gen/etcdserverpb.js'

const server = serverOn

describe('EtcdServer read contexts', () => {
  it('two processes of the same member never use the same context', async () => {
    const n1 = new FakeNode()
    const n2 = new FakeNode()
    const s1 = server(n1)
    const s2 = server(n2)
    const r1 = s1.range({ key: Buffer.from('a') } as RangeRequest).catch(() => undefined)
    const r2 = s2.range({ key: Buffer.from('a') } as RangeRequest).catch(() => undefined)
    await nextTurn()
    assert.equal(n1.asked.length, 1)
    assert.equal(n2.asked.length, 1)
    assert.notDeepEqual(n1.asked[0], n2.asked[0])
    await s1.stop()
    await s2.stop()
    await Promise.all([r1, r2])
  })

  it('an answer to an earlier incarnation is not taken for a pending read', async () => {
    const old = new FakeNode()
    const s0 = server(old)
    void s0.range({ key: Buffer.from('a') } as RangeRequest).catch(() => undefined)
    await nextTurn()
    await s0.stop()

    const node = new FakeNode()
    const s = server(node)
    let served = false
    const read = s.range({ key: Buffer.from('a') } as RangeRequest).then(
      () => (served = true),
      () => undefined,
    )
    await nextTurn()
    // The leader's late answer to the old process's read arrives.
    s.readStates([{ index: 5, requestCtx: old.asked[0]! }])
    await nextTurn()
    assert.equal(served, false, 'a read must not be released by another request context')
    s.readStates([{ index: 10, requestCtx: node.asked[0]! }])
    await read
    assert.equal(served, true)
    await s.stop()
  })
})
