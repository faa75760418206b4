import assert from 'node:assert/strict'
import { Errors } from '../../../src/server/errors.js'
import { readMeta } from '../../../src/server/mvcc/meta.js'
import type { MvccStore } from '../../../src/server/mvcc/store.js'
import { StoreFixture, EMPTY, FROM_KEY, k, kvt, query, recordRevisions } from './fixture.js'
import { Model } from './model.js'

type Op = [put: string, value: string] | [del: string]

function write(store: MvccStore, model: Model, ops: Op[]): void {
  const b = store.beginBatch()
  const t = b.txn()
  const mt = model.txn()
  for (const op of ops) {
    if (op.length === 1) {
      t.deleteRange(k(op[0]), EMPTY, false)
      mt.deleteRange(k(op[0]), EMPTY)
    } else {
      t.put(k(op[0]), k(op[1]), 0n)
      mt.put(k(op[0]), k(op[1]), 0n)
    }
  }
  t.end()
  mt.end()
  b.commit()
}

/** Same results as the model at every revision from the compaction revision up. */
async function assertReadsMatch(store: MvccStore, model: Model): Promise<void> {
  for (let rev = model.compacted; rev <= model.rev; rev++) {
    if (rev === 0) continue
    const q = query(Buffer.from([0]), FROM_KEY, { revision: rev })
    const got = await store.range(q)
    assert.deepEqual(got.kvs.map(kvt), model.range(q).kvs.map(kvt), `at revision ${rev}`)
  }
}

describe('MvccStore: compaction', () => {
  let f: StoreFixture
  let model: Model

  beforeEach(async () => {
    f = await StoreFixture.open('memory')
    model = new Model()
    write(f.store, model, [['a', 'a1'], ['b', 'b1']]) // 1
    write(f.store, model, [['a', 'a2']]) // 2
    write(f.store, model, [['b']]) // 3: b deleted
    write(f.store, model, [['c', 'c1']]) // 4
    write(f.store, model, [['c', 'c2'], ['a', 'a3']]) // 5
    write(f.store, model, [['c']]) // 6: c deleted after the compaction point used below
    write(f.store, model, [['b', 'b2']]) // 7: b re-created
  })

  afterEach(() => f.close())

  it('refuses revisions at or below the last compaction and above the current revision', async () => {
    assert.throws(() => f.store.compact(0), (e) => e === Errors.Compacted)
    assert.throws(() => f.store.compact(8), (e) => e === Errors.FutureRev)
    await f.store.compact(3)
    assert.throws(() => f.store.compact(3), (e) => e === Errors.Compacted)
    assert.throws(() => f.store.compact(2), (e) => e === Errors.Compacted)
    await f.store.compact(7)
    assert.equal(f.store.compactRevision, 7)
  })

  it('drops history below the revision, keeps the latest values, and removes the records', async () => {
    const before = (await f.store.range(query(Buffer.from([0]), FROM_KEY))).kvs.map(kvt)
    const physical = f.store.compact(5)
    model.compacted = 5
    await assert.rejects(f.store.range(query('a', EMPTY, { revision: 4 })), (e) => e === Errors.Compacted)
    assert.throws(() => f.store.readTxn().range(query('a', EMPTY, { revision: 1 })), (e) => e === Errors.Compacted)
    assert.deepEqual(kvt((await f.store.range(query('a', EMPTY, { revision: 5 }))).kvs[0]), ['a', 'a3', 1, 5, 3, 0n])
    await physical
    assert.deepEqual((await f.store.range(query(Buffer.from([0]), FROM_KEY))).kvs.map(kvt), before)
    await assertReadsMatch(f.store, model)
    // a: only 5.1 left; b: tombstone 3 and put 1 gone, 7 kept; c: 5.0 kept with its tombstone at 6
    assert.deepEqual(await recordRevisions(f.backend), ['5.0', '5.1', '6.0t', '7.0'])
    assert.deepEqual(await recordRevisions(f.backend), model.expectedRecords())
    const meta = readMeta(f.backend)
    assert.deepEqual([meta.scheduledCompact, meta.finishedCompact], [5, 5])
  })

  it('drops a key entirely once its tombstone is compacted', async () => {
    await f.store.compact(6)
    model.compacted = 6
    assert.equal(f.store.indexedKeys, 2) // c is gone from the index
    assert.deepEqual(await recordRevisions(f.backend), model.expectedRecords())
    assert.ok(!(await recordRevisions(f.backend)).includes('6.0t'))
    await assertReadsMatch(f.store, model)
  })

  it('compacts inside a batch, after the batch\'s own writes', async () => {
    const b = f.store.beginBatch()
    const t = b.txn()
    t.put(k('a'), k('a4'), 0n)
    t.end()
    const mt = model.txn()
    mt.put(k('a'), k('a4'), 0n)
    mt.end()
    const done = b.compact(8)
    model.compacted = 8
    const t2 = b.txn()
    assert.throws(() => t2.range(query('a', EMPTY, { revision: 7 })), (e) => e === Errors.Compacted)
    t2.end()
    b.commit({ consistentIndex: 9 })
    await done
    assert.deepEqual(await recordRevisions(f.backend), model.expectedRecords())
    await assertReadsMatch(f.store, model)
  })

  it('finishes an interrupted compaction after a restart', async () => {
    const s = await f.restart({ compactionChunkSize: 1 })
    const many: Op[][] = []
    for (let i = 0; i < 40; i++) many.push([[`k${i % 7}`, `v${i}`]], [[`k${(i * 3) % 7}`]])
    for (const ops of many) write(s, model, ops)
    const rev = model.rev - 3
    const physical = s.compact(rev)
    model.compacted = rev
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
    const restart = f.restart({ compactionChunkSize: 1 })
    await assert.rejects(physical, (e) => e === Errors.Stopped)
    await restart
    const left = await recordRevisions(f.backend)
    const expected = model.expectedRecords()
    assert.ok(left.length > expected.length, 'stopped half-way')
    const meta = readMeta(f.backend)
    assert.ok(meta.finishedCompact < meta.scheduledCompact)
    assert.equal(f.store.compactRevision, rev)
    await assertReadsMatch(f.store, model)
    await f.store.compactionIdle()
    assert.deepEqual(await recordRevisions(f.backend), expected)
    assert.equal(readMeta(f.backend).finishedCompact, rev)
    await assertReadsMatch(f.store, model)
  })
})
