import assert from 'node:assert/strict'
import { Errors } from '../../../src/errors/rpctypes.js'
import { MAX_LEASE_TTL } from '../../../src/server/lease/lease.js'
import { minLeaseTTL } from '../../../src/server/lease/index.js'
import { readLeases } from '../../../src/server/lease/records.js'
import { LeaseHarness, OPTIONS, b } from './harness.js'

const keysOf = (h: LeaseHarness, id: bigint): string[] | undefined =>
  h.lessor.view(id, true)?.keys.map((k) => k.toString())

describe('lessor: grant, attach, revoke (the applied state)', () => {
  let h: LeaseHarness
  beforeEach(async () => (h = await LeaseHarness.open()))
  afterEach(() => h.close())

  it("grants with the given ID and TTL, raises a TTL below the minimum, and refuses etcd's bad grants", () => {
    assert.deepEqual([h.grant(0x10n, 60).ID, h.grant(0x10n + 1n, 60).TTL], [0x10n, 60])
    assert.equal(h.grant(0x20n, 1).TTL, OPTIONS.minTTL)
    assert.equal(h.grant(0x21n, -5).TTL, OPTIONS.minTTL)
    assert.throws(
      () => h.grant(0x10n, 60),
      (e) => e === Errors.LeaseExist,
    )
    assert.throws(
      () => h.grant(0x30n, MAX_LEASE_TTL + 1),
      (e) => e === Errors.LeaseTTLTooLarge,
    )
    assert.throws(
      () => h.grant(0n, 60),
      (e) => e === Errors.LeaseNotFound,
    )
    assert.equal(h.grant(0x31n, MAX_LEASE_TTL).TTL, MAX_LEASE_TTL)
    assert.deepEqual(h.lessor.list().sort(), [0x10n, 0x11n, 0x20n, 0x21n, 0x31n])
  })

  it("refuses a put with an unknown lease (etcd's error), attaches keys on put and detaches on overwrite and delete", async () => {
    assert.throws(
      () => h.put('k', 'v', 0x99n),
      (e) => e === Errors.LeaseNotFound,
    )
    assert.equal(await h.get('k'), undefined)
    h.grant(1n, 60)
    h.grant(2n, 60)
    h.put('a', '1', 1n)
    h.put('b', '1', 1n)
    h.put('c', '1', 1n)
    assert.deepEqual(keysOf(h, 1n), ['a', 'b', 'c'])
    h.put('a', '2') // no lease: detached
    h.put('b', '2', 2n) // another lease: moved
    h.one({ delete_range: { key: b('c') } })
    assert.deepEqual([keysOf(h, 1n), keysOf(h, 2n)], [[], ['b']])
    assert.equal(h.lessor.leaseOf(b('b')), 2n)
    h.one({ put: { key: b('b'), ignore_value: true, ignore_lease: true } })
    assert.deepEqual(keysOf(h, 2n), ['b'], 'ignore_lease keeps the key attached')
  })

  it('checks and attaches leases of puts inside a txn', () => {
    h.grant(7n, 60)
    const bad = h.apply({ txn: { success: [{ request_put: { key: b('x'), value: b('1'), lease: 8n } }] } })
    assert.equal(bad[0].ok ? undefined : bad[0].err, Errors.LeaseNotFound)
    h.one({
      txn: {
        success: [
          { request_put: { key: b('x'), value: b('1'), lease: 7n } },
          { request_put: { key: b('y'), value: b('1'), lease: 7n } },
        ],
      },
    })
    assert.deepEqual(keysOf(h, 7n), ['x', 'y'])
  })

  it('revokes: every attached key deleted in one revision, then the lease; unknown leases are not found', async () => {
    h.grant(5n, 60)
    for (const k of ['k3', 'k1', 'k2']) h.put(k, 'v', 5n)
    h.put('other', 'v')
    const before = h.store.currentRevision
    const res = h.one<{ header: { revision: number } }>({ lease_revoke: { ID: 5n } })
    assert.equal(h.store.currentRevision, before + 1)
    assert.equal(res.header.revision, before + 1)
    for (const k of ['k1', 'k2', 'k3']) assert.equal(await h.get(k), undefined)
    assert.equal((await h.get('other'))?.value.toString(), 'v')
    assert.equal(h.lessor.exists(5n), false)
    assert.deepEqual(await readLeases(h.store.backend), [])
    assert.throws(
      () => h.one({ lease_revoke: { ID: 5n } }),
      (e) => e === Errors.LeaseNotFound,
    )
    const empty = h.grant(6n, 60)
    h.one({ lease_revoke: { ID: empty.ID } })
    assert.equal(h.store.currentRevision, before + 1, 'a lease without keys is revoked without a revision')
  })

  it('sees, within one batch, keys attached by the requests before a revoke', async () => {
    const out = h.apply(
      { lease_grant: { ID: 3n, TTL: 60 } },
      { put: { key: b('p'), value: b('v'), lease: 3n } },
      { lease_revoke: { ID: 3n } },
    )
    assert.deepEqual(
      out.map((a) => a.ok),
      [true, true, true],
    )
    assert.equal(await h.get('p'), undefined)
  })

  it('persists leases in the apply batch and rebuilds leases and attached keys on open', async () => {
    h.grant(1n, 60)
    h.grant(2n, 1)
    h.put('a', 'v', 1n)
    h.put('b', 'v', 2n)
    h.one({ lease_checkpoint: { checkpoints: [{ ID: 1n, remaining_TTL: 17 }] } })
    await h.restart()
    assert.deepEqual(h.lessor.list().sort(), [1n, 2n])
    assert.deepEqual([keysOf(h, 1n), keysOf(h, 2n)], [['a'], ['b']])
    assert.equal(h.lessor.view(2n, false)?.grantedTTL, OPTIONS.minTTL)
    h.lessor.promote(0)
    assert.equal(h.lessor.view(1n, false)?.TTL, 17, 'the checkpointed remaining TTL survives the restart')
    assert.equal(h.lessor.view(1n, false)?.grantedTTL, 60)
  })

  it("uses etcd's minimum TTL: 3/2 election timeout in ticks of the heartbeat, rounded up to seconds", () => {
    assert.equal(minLeaseTTL(100, 1000), 2)
    assert.equal(minLeaseTTL(50, 500), 1)
    assert.equal(minLeaseTTL(100, 3000), 5)
  })
})

describe('lessor: expiry, renewals and checkpoints (the primary)', () => {
  let h: LeaseHarness
  beforeEach(async () => (h = await LeaseHarness.open()))
  afterEach(() => h.close())

  it('never expires a lease while not primary; grants then live until promoted', () => {
    h.grant(1n, 5)
    h.clock.advance(60_000)
    assert.deepEqual(h.lessor.expired(10), [])
    assert.ok((h.lessor.view(1n, false)?.TTL ?? 0) > 1e9)
    assert.throws(
      () => h.lessor.renew(1n),
      (e) => e === Errors.NotLeader,
    )
  })

  it('expires exactly at the TTL, soonest first, and reports an unrevoked lease again after the retry interval', () => {
    h.lessor.promote(0)
    h.grant(1n, 10)
    h.grant(2n, 5)
    h.grant(3n, 20)
    h.clock.advance(4_999)
    assert.deepEqual(h.lessor.expired(10), [])
    assert.equal(h.lessor.view(2n, false)?.TTL, 0)
    h.clock.advance(5_001)
    assert.deepEqual(h.lessor.expired(10), [2n, 1n])
    assert.deepEqual(h.lessor.expired(10), [], 'reported once per retry interval')
    h.clock.advance(OPTIONS.expiredRetryMs)
    assert.deepEqual(h.lessor.expired(10).sort(), [1n, 2n])
    h.one({ lease_revoke: { ID: 2n } })
    h.clock.advance(OPTIONS.expiredRetryMs)
    assert.deepEqual(h.lessor.expired(1), [1n], 'a limit caps one call')
    h.clock.advance(10_000)
    assert.deepEqual(h.lessor.expired(10), [1n, 3n], 'the unrevoked lease again, then the next to expire')
  })

  it('renews to the full TTL; an expired lease waits for its revoke, an unknown one is gone', () => {
    h.lessor.promote(0)
    h.grant(1n, 10)
    h.clock.advance(8_000)
    assert.deepEqual(h.lessor.renew(1n), { ttl: 10, clearCheckpoint: false })
    h.clock.advance(9_000)
    assert.deepEqual(h.lessor.expired(10), [])
    assert.equal(h.lessor.view(1n, false)?.TTL, 1)
    h.clock.advance(1_000)
    assert.equal(h.lessor.renew(1n), 'expired')
    assert.equal(h.lessor.renew(42n), undefined)
    assert.deepEqual(h.lessor.expired(10), [1n])
  })

  it("promotes with each lease's remaining TTL plus the extension; demotes to never expiring", () => {
    h.grant(1n, 10)
    h.grant(2n, 30)
    h.one({ lease_checkpoint: { checkpoints: [{ ID: 2n, remaining_TTL: 4 }] } })
    h.lessor.promote(1_000)
    assert.deepEqual([h.lessor.view(1n, false)?.TTL, h.lessor.view(2n, false)?.TTL], [11, 5])
    assert.deepEqual(h.lessor.list(), [2n, 1n], 'listed soonest first')
    h.clock.advance(5_000)
    assert.deepEqual(h.lessor.expired(10), [2n])
    h.lessor.demote()
    h.clock.advance(60_000)
    assert.deepEqual(h.lessor.expired(10), [])
    h.lessor.promote(0)
    assert.equal(h.lessor.view(1n, false)?.TTL, 10, 'a new primary starts from the TTL again')
  })

  it('schedules checkpoints of the remaining TTL (rounded up) every interval, and asks to clear one on renewal', () => {
    h.lessor.promote(0)
    h.grant(1n, 30)
    h.grant(2n, 3) // not longer than the interval: never checkpointed
    h.clock.advance(OPTIONS.checkpointIntervalMs - 1)
    assert.deepEqual(h.lessor.dueCheckpoints(10), [])
    h.clock.advance(1)
    const due = h.lessor.dueCheckpoints(10)
    assert.deepEqual(due, [{ ID: 1n, remaining_TTL: 25 }])
    h.one({ lease_checkpoint: { checkpoints: due } })
    h.clock.advance(OPTIONS.checkpointIntervalMs - 500)
    assert.deepEqual(h.lessor.dueCheckpoints(10), [])
    h.clock.advance(500)
    assert.deepEqual(h.lessor.dueCheckpoints(10), [{ ID: 1n, remaining_TTL: 20 }])
    assert.deepEqual(h.lessor.renew(1n), { ttl: 30, clearCheckpoint: true })
    h.one({ lease_checkpoint: { checkpoints: [{ ID: 1n, remaining_TTL: 0 }] } })
    assert.deepEqual(h.lessor.renew(1n), { ttl: 30, clearCheckpoint: false })
    h.lessor.demote()
    h.lessor.promote(0)
    assert.equal(h.lessor.view(1n, false)?.TTL, 30)
  })

  it('skips a checkpoint when the lease was just renewed to its full TTL, and checkpoints it an interval later', () => {
    h.lessor.promote(0)
    h.grant(1n, 30)
    h.clock.advance(OPTIONS.checkpointIntervalMs)
    h.lessor.renew(1n)
    assert.deepEqual(h.lessor.dueCheckpoints(10), [])
    h.clock.advance(OPTIONS.checkpointIntervalMs)
    assert.deepEqual(h.lessor.dueCheckpoints(10), [{ ID: 1n, remaining_TTL: 25 }])
  })
})
