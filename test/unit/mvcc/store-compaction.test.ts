import assert from 'node:assert/strict'
import { Errors } from '../../../src/errors/rpctypes.js'
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
  for (let rev = Math.max(1, model.compacted); rev <= model.rev; rev++) {
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
    write(f.store, model, [
      ['a', 'a1'],
      ['b', 'b1'],
    ]) // 2
    write(f.store, model, [['a', 'a2']]) // 3
    write(f.store, model, [['b']]) // 4: b deleted
    write(f.store, model, [['c', 'c1']]) // 5
    write(f.store, model, [
      ['c', 'c2'],
      ['a', 'a3'],
    ]) // 6
    write(f.store, model, [['c']]) // 7: c deleted after the compaction point used below
    write(f.store, model, [['b', 'b2']]) // 8: b re-created
  })

  afterEach(() => f.close())

  it('refuses revisions at or below the last compaction and above the current revision', async () => {
    assert.equal(f.store.compactRevision, -1)
    assert.throws(
      () => f.store.compact(-1),
      (e) => e === Errors.Compacted,
    )
    assert.throws(
      () => f.store.compact(9),
      (e) => e === Errors.FutureRev,
    )
    await f.store.compact(4)
    assert.throws(
      () => f.store.compact(4),
      (e) => e === Errors.Compacted,
    )
    assert.throws(
      () => f.store.compact(3),
      (e) => e === Errors.Compacted,
    )
    assert.throws(
      () => f.store.compact(0),
      (e) => e === Errors.Compacted,
    )
    await f.store.compact(8)
    assert.equal(f.store.compactRevision, 8)
  })

  it('drops history below the revision, keeps the latest values, and removes the records', async () => {
    const before = (await f.store.range(query(Buffer.from([0]), FROM_KEY))).kvs.map(kvt)
    const physical = f.store.compact(6)
    model.compacted = 6
    await assert.rejects(f.store.range(query('a', EMPTY, { revision: 5 })), (e) => e === Errors.Compacted)
    assert.throws(
      () => f.store.readTxn().range(query('a', EMPTY, { revision: 2 })),
      (e) => e === Errors.Compacted,
    )
    assert.deepEqual(kvt((await f.store.range(query('a', EMPTY, { revision: 6 }))).kvs[0]), ['a', 'a3', 2, 6, 3, 0n])
    await physical
    assert.deepEqual((await f.store.range(query(Buffer.from([0]), FROM_KEY))).kvs.map(kvt), before)
    await assertReadsMatch(f.store, model)
    // a: only 6.1 left; b: tombstone 4 and put 2 gone, 8 kept; c: 6.0 kept with its tombstone at 7
    assert.deepEqual(await recordRevisions(f.backend), ['6.0', '6.1', '7.0t', '8.0'])
    assert.deepEqual(await recordRevisions(f.backend), model.expectedRecords())
    const meta = readMeta(f.backend)
    assert.deepEqual([meta.scheduledCompact, meta.finishedCompact], [6, 6])
  })

  it('drops a key entirely once its tombstone is compacted', async () => {
    await f.store.compact(7)
    model.compacted = 7
    assert.equal(f.store.indexedKeys, 2) // c is gone from the index
    assert.deepEqual(await recordRevisions(f.backend), model.expectedRecords())
    assert.deepEqual(await recordRevisions(f.backend), ['6.1', '8.0'])
    await assertReadsMatch(f.store, model)
  })

  it("compacts inside a batch, after the batch's own writes", async () => {
    const b = f.store.beginBatch()
    const t = b.txn()
    t.put(k('a'), k('a4'), 0n)
    t.end()
    const mt = model.txn()
    mt.put(k('a'), k('a4'), 0n)
    mt.end()
    const done = b.compact(9)
    model.compacted = 9
    const t2 = b.txn()
    assert.throws(
      () => t2.range(query('a', EMPTY, { revision: 8 })),
      (e) => e === Errors.Compacted,
    )
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

describe('MvccStore: compaction batch limit (--experimental-compaction-batch-limit)', () => {
  let f: StoreFixture
  beforeEach(async () => {
    f = await StoreFixture.open('memory')
  })
  afterEach(() => f.close())

  for (const limit of [1, 0, -1]) {
    it(`deletes every compacted record with a limit of ${limit} (0 or less: one batch, as etcd)`, async () => {
      const model = new Model()
      const s = await f.restart({ compactionChunkSize: limit })
      for (let i = 0; i < 30; i++) write(s, model, [[`k${i % 5}`, `v${i}`]])
      const rev = model.rev - 2
      await s.compact(rev)
      model.compacted = rev
      assert.deepEqual(await recordRevisions(f.backend), model.expectedRecords())
      await assertReadsMatch(f.store, model)
    })
  }
})

describe('MvccStore: compaction of a new store (etcd: revision 1, no compaction yet)', () => {
  let f: StoreFixture

  beforeEach(async () => {
    f = await StoreFixture.open('memory')
  })

  afterEach(() => f.close())

  it('compacts at revision 1 once; again is Compacted, 2 is a future revision', async () => {
    assert.equal(f.store.compactRevision, -1)
    const none = readMeta(f.backend)
    assert.deepEqual([none.scheduledCompact, none.finishedCompact], [-1, -1])
    assert.throws(
      () => f.store.compact(2),
      (e) => e === Errors.FutureRev,
    )
    await f.store.compact(1)
    assert.equal(f.store.compactRevision, 1)
    assert.equal(f.store.currentRevision, 1)
    assert.throws(
      () => f.store.compact(1),
      (e) => e === Errors.Compacted,
    )
    assert.throws(
      () => f.store.compact(0),
      (e) => e === Errors.Compacted,
    )
    assert.throws(
      () => f.store.compact(2),
      (e) => e === Errors.FutureRev,
    )
    const meta = readMeta(f.backend)
    assert.deepEqual([meta.scheduledCompact, meta.finishedCompact], [1, 1])
    // Revision 1 is the compaction revision: still readable.
    const at1 = await f.store.range(query('a', EMPTY, { revision: 1 }))
    assert.deepEqual([at1.header?.revision, at1.count], [1, 0])
    assert.equal(write1(f.store), 2)
    assert.deepEqual(kvt((await f.store.range(query('a'))).kvs[0]), ['a', '1', 2, 2, 1, 0n])
    assert.deepEqual(await recordRevisions(f.backend), ['2.0'])
    // Restarted: still compacted at 1, at revision 2.
    const s = await f.restart()
    assert.deepEqual([s.currentRevision, s.compactRevision], [2, 1])
    assert.throws(
      () => s.compact(1),
      (e) => e === Errors.Compacted,
    )
    await s.compact(2)
    assert.equal(s.compactRevision, 2)
  })

  it('stays at revision 1 with compaction 1 after a restart of a store that was never written', async () => {
    await f.store.compact(1)
    const s = await f.restart()
    assert.deepEqual([s.currentRevision, s.committedRevision, s.compactRevision], [1, 1, 1])
    assert.throws(
      () => s.compact(1),
      (e) => e === Errors.Compacted,
    )
    assert.throws(
      () => s.compact(2),
      (e) => e === Errors.FutureRev,
    )
    assert.equal(write1(s), 2)
  })

  it('accepts a compaction at revision 0 before the first compaction, as etcd does', async () => {
    assert.throws(
      () => f.store.compact(-1),
      (e) => e === Errors.Compacted,
    )
    await f.store.compact(0)
    assert.equal(f.store.compactRevision, 0)
    assert.throws(
      () => f.store.compact(0),
      (e) => e === Errors.Compacted,
    )
    const meta = readMeta(f.backend)
    assert.deepEqual([meta.scheduledCompact, meta.finishedCompact], [0, 0])
    const s = await f.restart()
    assert.deepEqual([s.currentRevision, s.compactRevision], [1, 0])
    assert.throws(
      () => s.compact(0),
      (e) => e === Errors.Compacted,
    )
    await s.compact(1)
    assert.equal(s.compactRevision, 1)
  })
})

function write1(store: MvccStore): number {
  const b = store.beginBatch()
  const t = b.txn()
  t.put(k('a'), k('1'), 0n)
  const r = t.end()
  b.commit()
  return r.revision
}
