import assert from 'node:assert/strict'
import { Errors } from '../../../src/errors/rpctypes.js'
import { hashByRev } from '../../../src/server/mvcc/hash.js'
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
