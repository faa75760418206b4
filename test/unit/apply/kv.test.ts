import assert from 'node:assert/strict'
import { Errors } from '../../../src/errors/rpctypes.js'
import { applyCompaction, applyDeleteRange, applyPut, applyRange } from '../../../src/server/apply/kv.js'
import type { MvccStore } from '../../../src/server/mvcc/store.js'
import { b, compactReq, delReq, inBatch, memoryStore, putReq, rangeReq } from './requests.js'

const kv = (
  x:
    | { key: Buffer; value: Buffer; create_revision: number; mod_revision: number; version: number; lease: bigint }
    | undefined,
): unknown => x && [x.key.toString(), x.value.toString(), x.create_revision, x.mod_revision, x.version, x.lease]

describe('apply: Put, DeleteRange, Range, Compaction', () => {
  let store: MvccStore

  beforeEach(async () => {
    store = await memoryStore()
  })

  afterEach(() => store.close())

  const put = (m: Parameters<typeof putReq>[0], leaseExists?: (id: bigint) => boolean) =>
    inBatch(store, (batch) => applyPut(batch, putReq(m), leaseExists && { leaseExists }))
  const get = async (key: string) => (await applyRange(store, rangeReq({ key: b(key) }))).kvs[0]

  it('answers on a new store as etcd does: Range at revision 1, the first Put at revision 2', async () => {
    const empty = await applyRange(store, rangeReq({ key: b('k') }))
    assert.deepEqual([empty.header?.revision, empty.count, empty.kvs], [1, 0, []])
    const at1 = await applyRange(store, rangeReq({ key: b('k'), revision: 1 }))
    assert.deepEqual([at1.header?.revision, at1.count, at1.kvs], [1, 0, []])
    await assert.rejects(applyRange(store, rangeReq({ key: b('k'), revision: 2 })), (e) => e === Errors.FutureRev)
    const none = inBatch(store, (batch) => applyDeleteRange(batch, delReq({ key: b('k') })))
    assert.deepEqual([none.header?.revision, none.deleted], [1, 0])
    const r = put({ key: b('k'), value: b('v') })
    assert.equal(r.header?.revision, 2)
    assert.deepEqual(kv(await get('k')), ['k', 'v', 2, 2, 1, 0n])
  })

  it('compacts a new store at revision 1 once, as etcd does; 2 is a future revision there', async () => {
    assert.throws(
      () => inBatch(store, (batch) => applyCompaction(batch, compactReq(2))),
      (e) => e === Errors.FutureRev,
    )
    const { response, physical } = inBatch(store, (batch) => applyCompaction(batch, compactReq(1, true)))
    assert.equal(response.header?.revision, 1)
    await physical
    assert.throws(
      () => inBatch(store, (batch) => applyCompaction(batch, compactReq(1))),
      (e) => e === Errors.Compacted,
    )
    const at1 = await applyRange(store, rangeReq({ key: b('k'), revision: 1 }))
    assert.deepEqual([at1.header?.revision, at1.count], [1, 0])
    assert.equal(put({ key: b('k'), value: b('v') }).header?.revision, 2)
  })

  it('puts with the new revision in the header and the previous KeyValue when asked', async () => {
    const r1 = put({ key: b('k'), value: b('v1'), prev_kv: true })
    assert.equal(r1.header?.revision, 2)
    assert.equal(r1.prev_kv, undefined)
    const r2 = put({ key: b('k'), value: b('v2'), lease: 9n, prev_kv: true })
    assert.equal(r2.header?.revision, 3)
    assert.deepEqual(kv(r2.prev_kv), ['k', 'v1', 2, 2, 1, 0n])
    const r3 = put({ key: b('k'), value: b('v3') })
    assert.equal(r3.header?.revision, 4)
    assert.equal(r3.prev_kv, undefined)
    assert.deepEqual(kv(await get('k')), ['k', 'v3', 2, 4, 3, 0n])
  })

  it('keeps the value with ignore_value and the lease with ignore_lease', async () => {
    put({ key: b('k'), value: b('v1'), lease: 5n })
    put({ key: b('k'), ignore_value: true, lease: 6n })
    assert.deepEqual(kv(await get('k')), ['k', 'v1', 2, 3, 2, 6n])
    put({ key: b('k'), value: b('v2'), ignore_lease: true })
    assert.deepEqual(kv(await get('k')), ['k', 'v2', 2, 4, 3, 6n])
    put({ key: b('k'), ignore_value: true, ignore_lease: true })
    assert.deepEqual(kv(await get('k')), ['k', 'v2', 2, 5, 4, 6n])
  })

  it('fails ignore_value / ignore_lease on a missing key with KeyNotFound, using no revision', () => {
    assert.throws(
      () => put({ key: b('nope'), ignore_value: true }),
      (e) => e === Errors.KeyNotFound,
    )
    assert.throws(
      () => put({ key: b('nope'), value: b('x'), ignore_lease: true }),
      (e) => e === Errors.KeyNotFound,
    )
    assert.equal(store.currentRevision, 1)
  })

  it('asks the lessor whether a lease exists and fails with LeaseNotFound otherwise', async () => {
    const asked: bigint[] = []
    const exists = (id: bigint) => {
      asked.push(id)
      return id === 7n
    }
    assert.throws(
      () => put({ key: b('k'), value: b('v'), lease: 8n }, exists),
      (e) => e === Errors.LeaseNotFound,
    )
    assert.equal(store.currentRevision, 1)
    put({ key: b('k'), value: b('v'), lease: 7n }, exists)
    put({ key: b('k'), value: b('v') }, exists)
    assert.deepEqual(asked, [8n, 7n])
    put({ key: b('j'), value: b('v'), lease: 123n })
    assert.equal((await get('j')).lease, 123n)
  })

  it('deletes a key or a range, returning the count and the deleted KeyValues when asked', async () => {
    for (const key of ['a', 'b', 'c', 'd']) put({ key: b(key), value: b(key.toUpperCase()) })
    const one = inBatch(store, (batch) => applyDeleteRange(batch, delReq({ key: b('a') })))
    assert.deepEqual([one.header?.revision, one.deleted, one.prev_kvs], [6, 1, []])
    const range = inBatch(store, (batch) =>
      applyDeleteRange(batch, delReq({ key: b('b'), range_end: b('d'), prev_kv: true })),
    )
    assert.equal(range.header?.revision, 7)
    assert.equal(range.deleted, 2)
    assert.deepEqual(range.prev_kvs.map(kv), [
      ['b', 'B', 3, 3, 1, 0n],
      ['c', 'C', 4, 4, 1, 0n],
    ])
    const fromKey = inBatch(store, (batch) =>
      applyDeleteRange(batch, delReq({ key: b('a'), range_end: Buffer.from([0]) })),
    )
    assert.deepEqual([fromKey.header?.revision, fromKey.deleted], [8, 1])
    assert.equal((await applyRange(store, rangeReq({ key: b('a'), range_end: Buffer.from([0]) }))).count, 0)
  })

  it('uses no revision when a delete finds nothing', () => {
    put({ key: b('a'), value: b('1') })
    const r = inBatch(store, (batch) =>
      applyDeleteRange(batch, delReq({ key: b('x'), range_end: b('z'), prev_kv: true })),
    )
    assert.deepEqual([r.header?.revision, r.deleted, r.prev_kvs], [2, 0, []])
    assert.equal(store.currentRevision, 2)
  })

  it('compacts with the current revision in the header and reports physical completion', async () => {
    put({ key: b('a'), value: b('1') })
    put({ key: b('a'), value: b('2') })
    put({ key: b('b'), value: b('1') })
    const { response, physical } = inBatch(store, (batch) => applyCompaction(batch, compactReq(3, true)))
    assert.equal(response.header?.revision, 4)
    await physical
    await assert.rejects(applyRange(store, rangeReq({ key: b('a'), revision: 2 })), (e) => e === Errors.Compacted)
    assert.equal((await applyRange(store, rangeReq({ key: b('a'), revision: 3 }))).kvs[0].value.toString(), '2')
    assert.throws(
      () => inBatch(store, (batch) => applyCompaction(batch, compactReq(3))),
      (e) => e === Errors.Compacted,
    )
    assert.throws(
      () => inBatch(store, (batch) => applyCompaction(batch, compactReq(5))),
      (e) => e === Errors.FutureRev,
    )
  })
})
