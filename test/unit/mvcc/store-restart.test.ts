import assert from 'node:assert/strict'
import { Errors } from '../../../src/errors/rpctypes.js'
import type { MvccStore } from '../../../src/server/mvcc/store.js'
import { StoreFixture, EMPTY, FROM_KEY, k, kvt, query, recordRevisions } from './fixture.js'
import { Model } from './model.js'

/** One batch of one transaction per entry, each with consistent index = its position + 1. */
function writeAll(
  store: MvccStore,
  model: Model,
  entries: [key: string, value: string | null][],
  firstIndex: number,
): void {
  entries.forEach(([key, value], i) => {
    const b = store.beginBatch()
    const t = b.txn()
    const mt = model.txn()
    if (value === null) {
      t.deleteRange(k(key), EMPTY, false)
      mt.deleteRange(k(key), EMPTY)
    } else {
      t.put(k(key), k(value), BigInt(i % 3))
      mt.put(k(key), k(value), BigInt(i % 3))
    }
    t.end()
    mt.end()
    b.commit({ consistentIndex: firstIndex + i, term: 2 }, { sync: i % 10 === 0 })
  })
}

async function assertSameHistory(store: MvccStore, model: Model): Promise<void> {
  assert.equal(store.currentRevision, model.rev)
  for (let rev = Math.max(1, model.compacted); rev <= model.rev; rev++) {
    const q = query(Buffer.from([0]), FROM_KEY, { revision: rev })
    assert.deepEqual((await store.range(q)).kvs.map(kvt), model.range(q).kvs.map(kvt), `at revision ${rev}`)
  }
}

describe('MvccStore: restart on RocksDB', () => {
  let f: StoreFixture

  beforeEach(async () => {
    f = await StoreFixture.open('rocks')
  })

  afterEach(() => f.close())

  it('reopens a store that was never written at revision 1, with no compaction', async () => {
    let s = await f.restart()
    assert.deepEqual([s.currentRevision, s.committedRevision, s.compactRevision, s.consistentIndex], [1, 1, -1, 0])
    // Batches that change nothing leave it at 1, also across restarts.
    s.beginBatch().commit({ consistentIndex: 5, term: 2 }, { sync: true })
    const b = s.beginBatch()
    const t = b.txn()
    assert.equal(t.deleteRange(k('a'), FROM_KEY, false).deleted, 0)
    assert.equal(t.end().revision, 1)
    b.commit({ consistentIndex: 6, term: 2 })
    s = await f.restart()
    assert.deepEqual(
      [s.currentRevision, s.committedRevision, s.compactRevision, s.consistentIndex, s.term],
      [1, 1, -1, 6, 2],
    )
    const r = await s.range(query(Buffer.from([0]), FROM_KEY, { revision: 1 }))
    assert.deepEqual([r.header?.revision, r.count], [1, 0])
    await assert.rejects(s.range(query('a', EMPTY, { revision: 2 })), (e) => e === Errors.FutureRev)
    const model = new Model()
    writeAll(s, model, [['a', '1']], 7)
    assert.equal(s.currentRevision, 2)
    assert.deepEqual(kvt(s.readTxn().get(k('a'))), ['a', '1', 2, 2, 1, 0n])
    s = await f.restart()
    assert.equal(s.currentRevision, 2)
    assert.deepEqual(await recordRevisions(f.backend), ['2.0'])
    await assertSameHistory(s, model)
  })

  it('rebuilds the index and restores revision, consistent index, term and compaction', async () => {
    const model = new Model()
    const entries: [string, string | null][] = []
    for (let i = 0; i < 120; i++) entries.push([`key/${i % 13}`, i % 5 === 4 ? null : `v${i}`])
    writeAll(f.store, model, entries, 1)
    await f.store.compact(60)
    model.compacted = 60
    const before = { rev: f.store.currentRevision, ci: f.store.consistentIndex }
    const s = await f.restart()
    assert.equal(s.currentRevision, before.rev)
    assert.equal(s.consistentIndex, before.ci)
    assert.equal(s.consistentIndex, 120)
    assert.equal(s.term, 2)
    assert.equal(s.compactRevision, 60)
    await assertSameHistory(s, model)
    // writing goes on from where it was
    writeAll(
      s,
      model,
      [
        ['key/1', 'after'],
        ['new', 'n'],
      ],
      121,
    )
    await assertSameHistory(s, model)
    assert.deepEqual(kvt(s.readTxn().get(k('key/1'))), kvt(model.cur.get('key/1')))
  })

  it('keeps the revision when the newest records were tombstones compacted away', async () => {
    const model = new Model()
    writeAll(
      f.store,
      model,
      [
        ['a', '1'],
        ['a', null],
      ],
      1,
    ) // 2, 3
    await f.store.compact(3)
    assert.deepEqual(await recordRevisions(f.backend), [])
    const s = await f.restart()
    assert.equal(s.currentRevision, 3)
    assert.equal(s.compactRevision, 3)
    writeAll(s, model, [['a', '2']], 3)
    assert.deepEqual(kvt(s.readTxn().get(k('a'))), ['a', '2', 4, 4, 1, 0n])
  })

  it('finishes a compaction that a restart interrupted', async () => {
    const model = new Model()
    const entries: [string, string | null][] = []
    for (let i = 0; i < 200; i++) entries.push([`k${i % 9}`, i % 4 === 3 ? null : `v${i}`])
    writeAll(f.store, model, entries, 1)
    await f.restart({ compactionChunkSize: 2 })
    const physical = f.store.compact(180)
    model.compacted = 180
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    await f.restart()
    await physical.catch(() => {})
    assert.ok((await recordRevisions(f.backend)).length > model.expectedRecords().length, 'stopped half-way')
    await assertSameHistory(f.store, model)
    await f.store.compactionIdle()
    assert.deepEqual(await recordRevisions(f.backend), model.expectedRecords())
    await assertSameHistory(f.store, model)
  })
})
