import assert from 'node:assert/strict'
import { Errors } from '../../../src/errors/rpctypes.js'
import { hashBackend, hashByRev } from '../../../src/server/mvcc/hash.js'
import { Bucket, bucketKey } from '../../../src/server/backend/buckets.js'
import type { MvccStore } from '../../../src/server/mvcc/store.js'
import { StoreFixture, EMPTY, k } from './fixture.js'

function put(store: MvccStore, key: string, value: string): void {
  const b = store.beginBatch()
  const t = b.txn()
  t.put(k(key), k(value), 0n)
  t.end()
  b.commit()
}

function del(store: MvccStore, key: string): void {
  const b = store.beginBatch()
  const t = b.txn()
  t.deleteRange(k(key), EMPTY, false)
  t.end()
  b.commit()
}

function history(s: MvccStore): void {
  for (let i = 0; i < 20; i++) {
    put(s, `k${i % 4}`, `v${i}`)
    if (i % 5 === 4) del(s, `k${i % 3}`)
  }
}

describe('MvccStore: hash of the key space by revision (HashKV)', () => {
  const fixtures: StoreFixture[] = []
  const open = async (kind: 'memory' | 'rocks') => {
    const f = await StoreFixture.open(kind)
    fixtures.push(f)
    return f.store
  }
  afterEach(async () => Promise.all(fixtures.splice(0).map((f) => f.close())))

  it('is equal for stores with the same history, on either backend', async () => {
    const a = await open('memory')
    const b = await open('rocks')
    history(a)
    history(b)
    for (const rev of [0, 1, 5, 12, a.currentRevision])
      assert.deepEqual(await hashByRev(a, rev), await hashByRev(b, rev))
    assert.equal((await hashByRev(a, 0)).revision, a.currentRevision)
  })

  it('at a revision, ignores later writes; differs when the data differs', async () => {
    const a = await open('memory')
    const b = await open('memory')
    history(a)
    history(b)
    const rev = a.currentRevision
    const before = await hashByRev(a, rev)
    put(a, 'x', '1')
    assert.deepEqual(await hashByRev(a, rev), before)
    put(b, 'x', '2')
    assert.notEqual((await hashByRev(a, 0)).hash, (await hashByRev(b, 0)).hash)
  })

  it('after the same compaction, equal again; refuses compacted and future revisions', async () => {
    const a = await open('memory')
    const b = await open('rocks')
    history(a)
    history(b)
    await a.compact(10)
    await b.compact(10)
    const h = await hashByRev(a, 15)
    assert.equal(h.compactRevision, 10)
    assert.deepEqual(await hashByRev(b, 15), h)
    await assert.rejects(hashByRev(a, 10), (e) => e === Errors.Compacted)
    await assert.rejects(hashByRev(a, a.currentRevision + 1), (e) => e === Errors.FutureRev)
  })
})

describe('MvccStore: hash of the whole backend (Hash)', () => {
  const fixtures: StoreFixture[] = []
  const open = async (kind: 'memory' | 'rocks') => {
    const f = await StoreFixture.open(kind)
    fixtures.push(f)
    return f.store
  }
  afterEach(async () => Promise.all(fixtures.splice(0).map((f) => f.close())))

  it('is equal for the same contents on either backend, with the revision stored beside them', async () => {
    const a = await open('memory')
    const b = await open('rocks')
    history(a)
    history(b)
    const ha = await hashBackend(a)
    assert.deepEqual(ha, await hashBackend(b))
    assert.equal(ha.revision, a.currentRevision)
  })

  it('covers every bucket, not only the keys: a record of another module changes it', async () => {
    const a = await open('memory')
    history(a)
    const before = await hashBackend(a)
    const wb = a.backend.batch()
    wb.put(bucketKey(Bucket.Lease, Buffer.from([0, 0, 0, 0, 0, 0, 0, 7])), Buffer.from('lease'))
    wb.write()
    const after = await hashBackend(a)
    assert.notEqual(after.hash, before.hash)
    assert.equal(after.revision, before.revision)
    put(a, 'k0', 'again')
    assert.notEqual((await hashBackend(a)).hash, after.hash)
  })
})
