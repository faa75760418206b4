import assert from 'node:assert/strict'
import type { LeaseCheckpoint } from '../../../src/gen/etcdserverpb.js'
import { DeadlineHeap } from '../../../src/server/lease/deadline-heap.js'
import { LeaseIdGenerator } from '../../../src/server/lease/lease-ids.js'
import { PrimaryLoop } from '../../../src/server/lease/primary-loop.js'
import { LeaseHarness, OPTIONS } from './harness.js'

describe('lease parts: deadline heap, IDs, the primary loop', () => {
  it('keeps one entry per ID in deadline order through inserts, moves and deletes (against a model)', () => {
    let seed = 7
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
    const heap = new DeadlineHeap()
    const model = new Map<bigint, number>()
    for (let i = 0; i < 5000; i++) {
      const id = BigInt(rnd(200))
      const op = rnd(4)
      if (op === 0) {
        heap.delete(id)
        model.delete(id)
      } else if (op === 1 && model.size > 0) {
        const top = heap.pop()!
        const min = Math.min(...model.values())
        assert.equal(top.time, min)
        assert.equal(model.get(top.id), min)
        model.delete(top.id)
      } else {
        const t = rnd(100000)
        heap.set(id, t)
        model.set(id, t)
      }
      assert.equal(heap.size, model.size)
    }
    const drained: number[] = []
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) drained.push(e.time)
    assert.deepEqual(
      drained,
      [...model.values()].sort((a, b) => a - b),
    )
  })

  it("makes unique positive int64 IDs carrying the member ID's low 16 bits", () => {
    const g = new LeaseIdGenerator(0xabcd_1234n, 1_700_000_000_000)
    const ids = Array.from({ length: 1000 }, () => g.next())
    assert.equal(new Set(ids).size, ids.length)
    for (const id of ids) {
      assert.ok(id > 0n && id < 1n << 63n)
      assert.equal((id >> 48n) & 0x7fffn, 0x1234n)
    }
    const other = new LeaseIdGenerator(0xabcd_1235n, 1_700_000_000_000)
    assert.notEqual(other.next() >> 48n, ids[0] >> 48n)
  })

  it('proposes revokes of expired leases and due checkpoints only while primary', async () => {
    const h = await LeaseHarness.open()
    const revoked: bigint[] = []
    const checkpointed: LeaseCheckpoint[][] = []
    const loop = new PrimaryLoop(
      h.lessor,
      {
        revoke: async (id) => revoked.push(id),
        checkpoint: async (cps) => checkpointed.push(cps),
      },
      { warn: () => {} },
    )
    try {
      h.grant(1n, 3)
      h.grant(2n, 60)
      h.clock.advance(10_000)
      loop.turn()
      assert.deepEqual([revoked, checkpointed], [[], []], 'not primary')
      h.lessor.promote(0)
      h.clock.advance(OPTIONS.checkpointIntervalMs)
      loop.turn()
      assert.deepEqual(revoked, [1n])
      assert.deepEqual(checkpointed, [[{ ID: 2n, remaining_TTL: 55 }]])
    } finally {
      loop.stop()
      await h.close()
    }
  })
})
