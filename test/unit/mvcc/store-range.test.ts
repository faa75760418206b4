import assert from 'node:assert/strict'
import {
  RangeRequest_SortOrder as Order,
  RangeRequest_SortTarget as Target,
  type RangeResponse,
} from '../../../src/gen/etcdserverpb.js'
import { Errors } from '../../../src/errors/rpctypes.js'
import type { RangeQuery } from '../../../src/server/mvcc/range.js'
import type { MvccStore } from '../../../src/server/mvcc/store.js'
import { StoreFixture, EMPTY, FROM_KEY, k, query } from './fixture.js'
import { Model } from './model.js'

/** Applies the same writes to the store and the model. */
function write(
  store: MvccStore,
  model: Model,
  ops: ([put: string, value: string, lease?: bigint] | [del: string, end?: Buffer])[],
): void {
  const b = store.beginBatch()
  const t = b.txn()
  const mt = model.txn()
  for (const op of ops) {
    if (op.length === 1 || Buffer.isBuffer(op[1]) || op[1] === undefined) {
      const end = (op[1] as Buffer | undefined) ?? EMPTY
      t.deleteRange(k(op[0]), end, false)
      mt.deleteRange(k(op[0]), end)
    } else {
      t.put(k(op[0]), k(op[1] as string), (op[2] as bigint | undefined) ?? 0n)
      mt.put(k(op[0]), k(op[1] as string), (op[2] as bigint | undefined) ?? 0n)
    }
  }
  t.end()
  mt.end()
  b.commit()
}

const show = (r: RangeResponse): unknown => ({
  rev: r.header?.revision,
  count: r.count,
  more: r.more,
  kvs: r.kvs.map((kv) => [
    kv.key.toString('hex'),
    kv.value.toString(),
    kv.create_revision,
    kv.mod_revision,
    kv.version,
    kv.lease,
  ]),
})

describe('MvccStore: ranges', () => {
  let f: StoreFixture
  let model: Model

  before(async () => {
    f = await StoreFixture.open('memory')
    model = new Model()
    const s = f.store
    write(s, model, [['a', '1']]) // 2
    write(s, model, [['b', '22', 3n]]) // 3
    write(s, model, [
      ['c', '3'],
      ['ca', '30'],
    ]) // 4
    write(s, model, [['a', '44']]) // 5
    write(s, model, [['d', '0']]) // 6
    write(s, model, [['e', '5', 3n], ['c']]) // 7
    write(s, model, [['b', '1']]) // 8
    write(s, model, [
      ['c', '9'],
      ['a', '2'],
    ]) // 9
    write(s, model, [
      ['cb', '7'],
      ['\u0000', 'nul'],
      ['\u00ff', 'ff'],
    ]) // 10
    write(s, model, [['ca', '31']]) // 11
  })

  after(() => f.close())

  async function check(q: RangeQuery): Promise<RangeResponse> {
    const expected = model.range(q)
    const viaAsync = await f.store.range(q)
    const viaTxn = f.store.readTxn().range(q)
    assert.deepEqual(show(viaAsync), show(expected), `async range ${JSON.stringify(q)}`)
    assert.deepEqual(show(viaTxn), show(expected), `txn range ${JSON.stringify(q)}`)
    return viaAsync
  }

  const keysOf = (r: RangeResponse): string[] => r.kvs.map((kv) => kv.key.toString('latin1'))

  it('reads a single key, a half-open range, a prefix, from a key, and everything', async () => {
    assert.deepEqual(keysOf(await check(query('c'))), ['c'])
    assert.deepEqual(keysOf(await check(query('zz'))), [])
    assert.deepEqual(keysOf(await check(query('b', 'd'))), ['b', 'c', 'ca', 'cb'])
    assert.deepEqual(keysOf(await check(query('c', 'd'))), ['c', 'ca', 'cb']) // prefix "c"
    assert.deepEqual(keysOf(await check(query('cb', FROM_KEY))), ['cb', 'd', 'e', '\u00ff'])
    assert.deepEqual(keysOf(await check(query(Buffer.from([0]), FROM_KEY))), [
      '\u0000',
      'a',
      'b',
      'c',
      'ca',
      'cb',
      'd',
      'e',
      '\u00ff',
    ])
    assert.deepEqual(keysOf(await check(query('d', 'b'))), [])
    assert.deepEqual(keysOf(await check(query('c', 'c'))), [])
  })

  it('reads history at any revision, with the current revision in the header', async () => {
    for (let rev = 1; rev <= 11; rev++) {
      const r = await check(query(Buffer.from([0]), FROM_KEY, { revision: rev }))
      assert.equal(r.header?.revision, 11)
    }
    // Revision 1 is the new store's: nothing in it.
    const first = await check(query(Buffer.from([0]), FROM_KEY, { revision: 1 }))
    assert.deepEqual([first.count, first.kvs.length], [0, 0])
    assert.deepEqual(keysOf(await check(query(Buffer.from([0]), FROM_KEY, { revision: 2 }))), ['a'])
    assert.deepEqual(keysOf(await check(query('c', 'd', { revision: 7 }))), ['ca'])
    assert.equal((await check(query('a', EMPTY, { revision: 4 }))).kvs[0].value.toString(), '1')
    assert.equal((await check(query('a', EMPTY, { revision: 5 }))).kvs[0].value.toString(), '44')
    assert.equal((await check(query('a', EMPTY, { revision: -1 }))).kvs[0].value.toString(), '2')
    await assert.rejects(f.store.range(query('a', EMPTY, { revision: 12 })), (e) => e === Errors.FutureRev)
    assert.throws(
      () => f.store.readTxn().range(query('a', EMPTY, { revision: 12 })),
      (e) => e === Errors.FutureRev,
    )
  })

  it('cuts at limit with more and counts every key in the range', async () => {
    const all = query(Buffer.from([0]), FROM_KEY)
    const r = await check({ ...all, limit: 3 })
    assert.deepEqual([keysOf(r), r.more, r.count], [['\u0000', 'a', 'b'], true, 9])
    const exact = await check({ ...all, limit: 9 })
    assert.deepEqual([exact.kvs.length, exact.more], [9, false])
    const counted = await check({ ...all, count_only: true, limit: 2 })
    assert.deepEqual([counted.kvs.length, counted.count, counted.more], [0, 9, false])
    const keysOnly = await check(query('a', 'c', { keys_only: true }))
    assert.deepEqual(
      keysOnly.kvs.map((kv) => [kv.key.toString(), kv.value.length, kv.version]),
      [
        ['a', 0, 3],
        ['b', 0, 2],
      ],
    )
  })

  it('sorts by every target in both orders, before the limit', async () => {
    const all = query(Buffer.from([0]), FROM_KEY)
    for (const target of [Target.KEY, Target.VERSION, Target.CREATE, Target.MOD, Target.VALUE]) {
      for (const order of [Order.NONE, Order.ASCEND, Order.DESCEND]) {
        for (const limit of [0, 1, 4]) await check({ ...all, sort_target: target, sort_order: order, limit })
      }
    }
    const byModDesc = await check({ ...all, sort_target: Target.MOD, sort_order: Order.DESCEND, limit: 2 })
    assert.deepEqual(keysOf(byModDesc), ['ca', '\u0000'])
    const byValue = await check({ ...all, sort_target: Target.VALUE, sort_order: Order.ASCEND, limit: 3 })
    assert.deepEqual(
      byValue.kvs.map((kv) => kv.value.toString()),
      ['0', '1', '2'],
    )
    assert.equal(byValue.more, true)
    // No order asked for: as etcd, only the first limit+1 keys in key order are sorted.
    const firstByValue = await check({ ...all, sort_target: Target.VALUE, limit: 3 })
    assert.deepEqual(
      firstByValue.kvs.map((kv) => kv.value.toString()),
      ['1', '2', '9'],
    )
    assert.equal(firstByValue.more, true)
    const keyDesc = await check({ ...all, sort_order: Order.DESCEND, limit: 2 })
    assert.deepEqual(keysOf(keyDesc), ['\u00ff', 'e'])
  })

  it('filters on mod and create revisions; count ignores the filters, more follows them', async () => {
    const all = query(Buffer.from([0]), FROM_KEY)
    const filters: Partial<RangeQuery>[] = [
      { min_mod_revision: 9 },
      { max_mod_revision: 6 },
      { min_create_revision: 4, max_create_revision: 9 },
      { min_mod_revision: 5, max_create_revision: 4 },
    ]
    for (const flt of filters) {
      for (const limit of [0, 1, 2]) {
        await check({ ...all, ...flt, limit })
        await check({ ...all, ...flt, limit, sort_target: Target.CREATE, sort_order: Order.DESCEND })
        await check({ ...all, ...flt, limit, keys_only: true, sort_target: Target.VALUE })
      }
    }
    const r = await check({ ...all, min_mod_revision: 9, limit: 2 })
    assert.deepEqual([keysOf(r), r.count, r.more], [['\u0000', 'a'], 9, true])
    const older = await check({ ...all, max_mod_revision: 6 })
    assert.deepEqual(keysOf(older), ['d'])
  })
})
