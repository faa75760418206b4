import assert from 'node:assert/strict'
import { Event_EventType } from '../../../src/gen/mvccpb.js'
import { Errors } from '../../../src/errors/rpctypes.js'
import { StoreFixture, del, EMPTY, FROM_KEY, getAt, k, kvt, put, query, recordRevisions } from './fixture.js'

describe('MvccStore: revisions and writes', () => {
  let f: StoreFixture

  beforeEach(async () => {
    f = await StoreFixture.open('memory')
  })

  afterEach(() => f.close())

  it('a new store is at revision 1 and the first write is revision 2, as in etcd', async () => {
    assert.equal(f.store.currentRevision, 1)
    assert.equal(f.store.committedRevision, 1)
    assert.equal(f.store.compactRevision, -1)
    const empty = await f.store.range(query(Buffer.from([0]), FROM_KEY))
    assert.deepEqual([empty.header?.revision, empty.count, empty.kvs.length, empty.more], [1, 0, 0, false])
    assert.equal(f.store.readTxn().beginRevision, 1)
    const b = f.store.beginBatch()
    assert.equal(b.revision, 1)
    const t = b.txn()
    assert.equal(t.beginRevision, 1)
    assert.equal(t.revision, 1)
    const kv = t.put(k('a'), k('1'), 0n)
    assert.equal(t.revision, 2)
    assert.deepEqual(kvt(kv), ['a', '1', 2, 2, 1, 0n])
    const r = t.end()
    assert.equal(r.revision, 2)
    assert.equal(r.changes[0].prevMain, 0)
    assert.equal(b.revision, 2)
    b.commit()
    assert.equal(f.store.currentRevision, 2)
    assert.equal(f.store.committedRevision, 2)
    assert.deepEqual(await recordRevisions(f.backend), ['2.0'])
    const after = await f.store.range(query('a'))
    assert.equal(after.header?.revision, 2)
    assert.deepEqual(after.kvs.map(kvt), [['a', '1', 2, 2, 1, 0n]])
    assert.equal(put(f.store, 'b', '1').revision, 3)
    assert.deepEqual(kvt(await getAt(f.store, 'b')), ['b', '1', 3, 3, 1, 0n])
  })

  it('reads a new store at revision 1 (nothing there) and refuses revision 2 as a future revision', async () => {
    const at1 = await f.store.range(query(Buffer.from([0]), FROM_KEY, { revision: 1 }))
    assert.deepEqual([at1.header?.revision, at1.count, at1.kvs.length], [1, 0, 0])
    await assert.rejects(f.store.range(query('a', EMPTY, { revision: 2 })), (e) => e === Errors.FutureRev)
    const rt = f.store.readTxn()
    assert.deepEqual(rt.range(query('a', EMPTY, { revision: 1 })), {
      header: at1.header,
      kvs: [],
      more: false,
      count: 0,
    })
    assert.throws(
      () => rt.range(query('a', EMPTY, { revision: 2 })),
      (e) => e === Errors.FutureRev,
    )
    rt.end()
    const b = f.store.beginBatch()
    const t = b.txn()
    assert.throws(
      () => t.range(query('a', EMPTY, { revision: 2 })),
      (e) => e === Errors.FutureRev,
    )
    t.put(k('a'), k('1'), 0n)
    assert.equal(t.range(query('a', EMPTY, { revision: 2 })).kvs.length, 1)
    assert.equal(t.range(query('a', EMPTY, { revision: 1 })).kvs.length, 0)
    t.end()
    b.commit()
    // Revision 1 stays readable, and empty, once there is history above it.
    const still = await f.store.range(query('a', EMPTY, { revision: 1 }))
    assert.deepEqual([still.header?.revision, still.count], [2, 0])
    assert.equal(await getAt(f.store, 'a', 1), undefined)
    await assert.rejects(f.store.range(query('a', EMPTY, { revision: 3 })), (e) => e === Errors.FutureRev)
  })

  it('gives each changing transaction one main revision and each change a sub revision', async () => {
    assert.equal(f.store.currentRevision, 1)
    assert.equal(put(f.store, 'a', '1').revision, 2)
    const b = f.store.beginBatch()
    const t = b.txn()
    t.put(k('b'), k('2'), 0n)
    t.put(k('c'), k('3'), 0n)
    t.deleteRange(k('a'), EMPTY, false)
    const r = t.end()
    b.commit()
    assert.equal(r.revision, 3)
    assert.deepEqual(
      r.changes.map((c) => [c.type, c.kv.key.toString(), c.kv.mod_revision]),
      [
        [Event_EventType.PUT, 'b', 3],
        [Event_EventType.PUT, 'c', 3],
        [Event_EventType.DELETE, 'a', 3],
      ],
    )
    assert.deepEqual(await recordRevisions(f.backend), ['2.0', '3.0', '3.1', '3.2t'])
    assert.equal(f.store.currentRevision, 3)
  })

  it('takes no revision for a transaction that changes nothing', async () => {
    put(f.store, 'a', '1')
    assert.equal(del(f.store, 'nope').revision, 2)
    assert.equal(del(f.store, 'x', k('z')).revision, 2)
    const b = f.store.beginBatch()
    const t = b.txn()
    assert.equal(t.rangeKvs(k('a')).length, 1)
    assert.deepEqual(t.end(), { revision: 2, changes: [] })
    b.commit()
    assert.equal(f.store.currentRevision, 2)
    assert.deepEqual(await recordRevisions(f.backend), ['2.0'])
  })

  it('tracks create_revision, mod_revision and version across delete and re-create', async () => {
    put(f.store, 'x', 'v1') // 2
    put(f.store, 'x', 'v2') // 3
    del(f.store, 'x') // 4
    put(f.store, 'x', 'v3') // 5
    put(f.store, 'x', 'v4') // 6
    assert.deepEqual(kvt(await getAt(f.store, 'x')), ['x', 'v4', 5, 6, 2, 0n])
    assert.equal(await getAt(f.store, 'x', 1), undefined)
    assert.deepEqual(kvt(await getAt(f.store, 'x', 2)), ['x', 'v1', 2, 2, 1, 0n])
    assert.deepEqual(kvt(await getAt(f.store, 'x', 3)), ['x', 'v2', 2, 3, 2, 0n])
    assert.equal(await getAt(f.store, 'x', 4), undefined)
    assert.deepEqual(kvt(await getAt(f.store, 'x', 5)), ['x', 'v3', 5, 5, 1, 0n])
    assert.deepEqual(await recordRevisions(f.backend), ['2.0', '3.0', '4.0t', '5.0', '6.0'])
  })

  it('lets a transaction read its own writes and later transactions of the batch read earlier ones', async () => {
    put(f.store, 'a', 'old')
    const b = f.store.beginBatch()
    const t1 = b.txn()
    assert.equal(t1.revision, 2)
    t1.put(k('a'), k('new'), 0n)
    assert.equal(t1.revision, 3)
    assert.deepEqual(kvt(t1.get(k('a'))), ['a', 'new', 2, 3, 2, 0n])
    t1.put(k('b'), k('b1'), 0n)
    assert.deepEqual(
      t1.rangeKvs(k('a'), k('c')).map((kv) => kv.value.toString()),
      ['new', 'b1'],
    )
    t1.end()
    const t2 = b.txn()
    assert.equal(t2.beginRevision, 3)
    assert.deepEqual(kvt(t2.get(k('b'))), ['b', 'b1', 3, 3, 1, 0n])
    t2.deleteRange(k('b'), EMPTY, false)
    assert.equal(t2.get(k('b')), undefined)
    t2.end()
    // Not committed yet: readers of the committed state see revision 2.
    assert.equal(f.store.currentRevision, 4)
    assert.equal(f.store.committedRevision, 2)
    assert.deepEqual(kvt(f.store.readTxn().get(k('a'))), ['a', 'old', 2, 2, 1, 0n])
    const before = await f.store.range(query('a', 'z'))
    assert.deepEqual(
      before.kvs.map((kv) => kv.value.toString()),
      ['old'],
    )
    assert.equal(before.header?.revision, 2)
    b.commit()
    const after = await f.store.range(query('a', 'z'))
    assert.deepEqual(
      after.kvs.map((kv) => kv.value.toString()),
      ['new'],
    )
    assert.equal(after.header?.revision, 4)
    assert.deepEqual(kvt(await getAt(f.store, 'b', 3)), ['b', 'b1', 3, 3, 1, 0n])
  })

  it('rejects reads above the transaction revision, which moves up with its first change', () => {
    put(f.store, 'a', '1')
    const b = f.store.beginBatch()
    const t = b.txn()
    assert.throws(
      () => t.range(query('a', EMPTY, { revision: 3 })),
      (e) => e === Errors.FutureRev,
    )
    t.put(k('a'), k('2'), 0n)
    assert.throws(
      () => t.range(query('a', EMPTY, { revision: 4 })),
      (e) => e === Errors.FutureRev,
    )
    assert.equal(t.range(query('a', EMPTY, { revision: 3 })).kvs[0].value.toString(), '2')
    assert.equal(t.range(query('a', EMPTY, { revision: 2 })).kvs[0].value.toString(), '1')
    assert.equal(t.range(query('a', EMPTY, { revision: 1 })).kvs.length, 0)
    t.end()
    b.commit()
  })

  it('allows one open batch and one open transaction in it, and nothing after commit', () => {
    const b = f.store.beginBatch()
    assert.throws(() => f.store.beginBatch(), /already open/)
    const t = b.txn()
    assert.throws(() => b.txn(), /still open/)
    assert.throws(() => b.commit(), /still open/)
    t.end()
    assert.throws(() => t.put(k('a'), k('1'), 0n), /already ended/)
    b.commit()
    assert.throws(() => b.txn(), /already committed/)
    assert.throws(() => f.store.readTxn().put(k('a'), k('1'), 0n), /read-only/)
    f.store.beginBatch().commit()
  })

  it('stores the consistent index and term with the batch', async () => {
    const b = f.store.beginBatch()
    const t = b.txn()
    t.put(k('a'), k('1'), 0n)
    t.end()
    b.commit({ consistentIndex: 42, term: 3 }, { sync: true })
    assert.equal(f.store.consistentIndex, 42)
    assert.equal(f.store.term, 3)
    f.store.beginBatch().commit({ consistentIndex: 43 })
    assert.equal(f.store.consistentIndex, 43)
    const s = await f.restart()
    assert.equal(s.consistentIndex, 43)
    assert.equal(s.term, 3)
    assert.equal(s.currentRevision, 2)
  })

  it('records what each change replaced: previous revision, lease and KeyValue', () => {
    const r1 = put(f.store, 'a', '1', 5n)
    assert.equal(r1.changes[0].prevMain, 0)
    assert.equal(f.store.prevKv(r1.changes[0]), undefined)
    const r2 = put(f.store, 'a', '2')
    assert.equal(r2.changes[0].prevLease, 5n)
    assert.deepEqual(kvt(f.store.prevKv(r2.changes[0])), ['a', '1', 2, 2, 1, 5n])
    const b = f.store.beginBatch()
    const t = b.txn()
    const d = t.deleteRange(k('a'), EMPTY, true)
    const r3 = t.end()
    assert.deepEqual(d.prevKvs?.map(kvt), [['a', '2', 2, 3, 2, 0n]])
    assert.equal(r3.changes[0].type, Event_EventType.DELETE)
    assert.deepEqual(kvt(r3.changes[0].kv), ['a', '', 0, 4, 0, 0n])
    assert.deepEqual(kvt(f.store.prevKv(r3.changes[0])), ['a', '2', 2, 3, 2, 0n])
    b.commit()
    assert.deepEqual(b.changes, r3.changes)
  })

  it('lists the live keys attached to leases, also after a restart', async () => {
    put(f.store, 'a', '1', 7n)
    put(f.store, 'b', '1', 8n)
    put(f.store, 'c', '1')
    put(f.store, 'b', '2')
    put(f.store, 'd', '1', 7n)
    del(f.store, 'd')
    const leased = (): [string, bigint][] =>
      f.store
        .leasedKeys()
        .map(([key, lease]): [string, bigint] => [key.toString(), lease])
        .sort()
    assert.deepEqual(leased(), [['a', 7n]])
    await f.restart()
    assert.deepEqual(leased(), [['a', 7n]])
  })
})
