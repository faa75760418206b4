/**
 * Aborting a write transaction (a request that failed): the index, the revision, the open
 * batch's records and the write batch are as if it never ran; the batch's other
 * transactions commit normally, before and after it.
 */
import assert from 'node:assert/strict'
import { KeyIndex, RevLookup } from '../../../src/server/mvcc/key-index.js'
import { StoreFixture, EMPTY, FROM_KEY, getAt, k, kvt, put, query, recordRevisions } from './fixture.js'

function state(ki: KeyIndex): unknown {
  const l = new RevLookup()
  const head = ki.get(Number.MAX_SAFE_INTEGER, l) ? [l.main, l.sub, l.created, l.version] : null
  return {
    gens: ki.generations().map((g) => [g.created, g.ver, [...g.revs]]),
    head,
    lease: ki.lease,
    last: [ki.lastMain, ki.lastSub],
    // Revisions in an array exactly when the current generation has two or more.
    array: ki.revs === null ? null : [...ki.revs],
  }
}

describe('KeyIndex: undoing the last put or tombstone', () => {
  it('takes back puts and tombstones in reverse order to the exact earlier state', () => {
    const ki = new KeyIndex('k')
    ki.put(2, 0)
    ki.lease = 7n
    ki.put(3, 0)
    const before = state(ki)
    // A transaction at revision 4: put, delete, put again, delete again.
    ki.put(4, 0)
    ki.lease = 8n
    ki.tombstone(4, 1)
    ki.put(4, 2)
    ki.tombstone(4, 3)
    ki.undoTombstone(0n)
    ki.undoPut(0n)
    ki.undoTombstone(8n)
    ki.undoPut(7n)
    assert.deepEqual(state(ki), before)
  })

  it('leaves a key created by the undone put empty', () => {
    const ki = new KeyIndex('k')
    ki.put(5, 0)
    ki.tombstone(5, 1)
    ki.undoTombstone(0n)
    ki.undoPut(0n)
    assert.equal(ki.isEmpty(), true)
    assert.deepEqual(state(ki), state(new KeyIndex('k')))
  })
})

for (const kind of ['memory', 'rocks'] as const) {
  describe(`MvccStore: an aborted transaction leaves nothing (${kind} backend)`, () => {
    let f: StoreFixture

    beforeEach(async () => {
      f = await StoreFixture.open(kind)
      put(f.store, 'a', '1', 3n) // 2
      put(f.store, 'b', '1') // 3
    })

    afterEach(() => f.close())

    it('commits the transactions around it; index, revision, records and reads are untouched', async () => {
      const batch = f.store.beginBatch()
      const t1 = batch.txn()
      t1.put(k('c'), k('1'), 0n)
      assert.equal(t1.end().revision, 4)

      const t2 = batch.txn()
      t2.put(k('new'), k('x'), 5n)
      t2.put(k('a'), k('2'), 0n)
      assert.equal(t2.deleteRange(k('a'), FROM_KEY, false).deleted, 4)
      t2.put(k('b'), k('again'), 0n)
      assert.equal(t2.revision, 5)
      t2.abort()
      assert.equal(batch.revision, 4, 'the aborted transaction took no revision')
      assert.equal(batch.changes.length, 1)

      const t3 = batch.txn()
      assert.deepEqual(
        kvt(t3.get(k('a'))),
        ['a', '1', 2, 2, 1, 3n],
        'a later transaction reads the state before the aborted one',
      )
      assert.equal(t3.has(k('new')), false)
      t3.put(k('a'), k('3'), 0n)
      assert.equal(t3.end().revision, 5)
      batch.commit()

      assert.equal(f.store.currentRevision, 5)
      assert.equal(f.store.indexedKeys, 3, 'the key only the aborted transaction created is gone')
      assert.deepEqual(await recordRevisions(f.backend), ['2.0', '3.0', '4.0', '5.0'])
      const all = await f.store.range(query('a', FROM_KEY))
      assert.deepEqual(all.kvs.map(kvt), [
        ['a', '3', 2, 5, 2, 0n],
        ['b', '1', 3, 3, 1, 0n],
        ['c', '1', 4, 4, 1, 0n],
      ])
      assert.deepEqual(kvt(await getAt(f.store, 'a', 4)), ['a', '1', 2, 2, 1, 3n])
      assert.deepEqual(f.store.leasedKeys(), [])

      const store = await f.restart()
      assert.equal(store.currentRevision, 5)
      assert.deepEqual((await store.range(query('a', FROM_KEY))).kvs.map(kvt), all.kvs.map(kvt))
    })

    it('aborts a transaction that changed nothing, and one that is the only one of its batch', async () => {
      const batch = f.store.beginBatch()
      const t = batch.txn()
      assert.equal(t.deleteRange(k('none'), EMPTY, false).deleted, 0)
      t.abort()
      const t2 = batch.txn()
      t2.put(k('x'), k('1'), 0n)
      t2.abort()
      assert.throws(() => t2.end(), /already ended/)
      batch.commit()
      assert.equal(f.store.currentRevision, 3)
      assert.equal(f.store.committedRevision, 3)
      assert.deepEqual(await recordRevisions(f.backend), ['2.0', '3.0'])
      assert.equal(await getAt(f.store, 'x'), undefined)
    })
  })
}
