import assert from 'node:assert/strict'
import {
  Compare_CompareResult as Result,
  Compare_CompareTarget as Target,
  type CompareInit,
  type TxnResponse,
} from '../../../src/gen/etcdserverpb.js'
import { Errors } from '../../../src/errors/rpctypes.js'
import { applyPut, applyReadOnlyTxn, applyTxn, isTxnReadOnly, applyRange } from '../../../src/server/apply/kv.js'
import type { MvccStore } from '../../../src/server/mvcc/store.js'
import { b, inBatch, memoryStore, putReq, rangeReq, txnReq } from './requests.js'

const sign = (x: number | bigint | Buffer, y: number | bigint | Buffer): number =>
  Buffer.isBuffer(x)
    ? Buffer.compare(x, y as Buffer)
    : (x as number) < (y as number)
      ? -1
      : (x as number) > (y as number)
        ? 1
        : 0

function holds(result: number, cmp: number): boolean {
  return [cmp === 0, cmp > 0, cmp < 0, cmp !== 0][result]
}

describe('apply: Txn', () => {
  let store: MvccStore

  beforeEach(async () => {
    store = await memoryStore()
  })

  afterEach(() => store.close())

  const put = (key: string, value: string, lease = 0n) =>
    inBatch(store, (batch) => applyPut(batch, putReq({ key: b(key), value: b(value), lease })))
  const txn = (m: Parameters<typeof txnReq>[0], leaseExists?: (id: bigint) => boolean): TxnResponse =>
    inBatch(store, (batch) => applyTxn(batch, txnReq(m), leaseExists && { leaseExists }))
  const succeeds = (...compare: CompareInit[]): boolean => txn({ compare }).succeeded
  const value = async (key: string) => (await applyRange(store, rangeReq({ key: b(key) }))).kvs[0]?.value.toString()

  it('compares every target with every result on an existing key', () => {
    put('k', 'x', 0n) // 2
    put('other', 'o') // 3
    put('k', 'm', 7n) // 4: k has create 2, mod 4, version 2, value "m", lease 7
    const actual = {
      [Target.VERSION]: 2,
      [Target.CREATE]: 2,
      [Target.MOD]: 4,
      [Target.VALUE]: b('m'),
      [Target.LEASE]: 7n,
    }
    const probes: [target: number, field: keyof CompareInit, values: (number | bigint | Buffer)[]][] = [
      [Target.VERSION, 'version', [1, 2, 3]],
      [Target.CREATE, 'create_revision', [1, 2, 3]],
      [Target.MOD, 'mod_revision', [3, 4, 5]],
      [Target.VALUE, 'value', [b('a'), b('m'), b('mm'), b('')]],
      [Target.LEASE, 'lease', [6n, 7n, 8n, 0n]],
    ]
    let checked = 0
    for (const [target, field, values] of probes) {
      for (const v of values) {
        for (const result of [Result.EQUAL, Result.GREATER, Result.LESS, Result.NOT_EQUAL]) {
          const expected = holds(result, sign(actual[target as keyof typeof actual], v))
          assert.equal(
            succeeds({ key: b('k'), target, result, [field]: v }),
            expected,
            `target ${target} result ${result} vs ${String(v)}`,
          )
          checked++
        }
      }
    }
    assert.equal(checked, 4 * (3 + 3 + 3 + 4 + 4))
    assert.equal(store.currentRevision, 4, 'compares alone take no revision')
  })

  it('compares a missing key as zero, except VALUE which always fails', () => {
    assert.equal(succeeds({ key: b('none'), target: Target.VERSION, result: Result.EQUAL, version: 0 }), true)
    assert.equal(succeeds({ key: b('none'), target: Target.CREATE, result: Result.EQUAL, create_revision: 0 }), true)
    assert.equal(succeeds({ key: b('none'), target: Target.MOD, result: Result.LESS, mod_revision: 1 }), true)
    assert.equal(succeeds({ key: b('none'), target: Target.LEASE, result: Result.EQUAL, lease: 0n }), true)
    assert.equal(succeeds({ key: b('none'), target: Target.VERSION, result: Result.GREATER, version: 0 }), false)
    assert.equal(succeeds({ key: b('none'), target: Target.VALUE, result: Result.EQUAL, value: b('') }), false)
    assert.equal(succeeds({ key: b('none'), target: Target.VALUE, result: Result.NOT_EQUAL, value: b('x') }), false)
  })

  it('requires every key in a compare range to satisfy it', () => {
    put('p/a', '1') // 2
    put('p/b', '1') // 3
    put('p/b', '2') // 4
    const range = { key: b('p/'), range_end: b('p0') }
    assert.equal(succeeds({ ...range, target: Target.VERSION, result: Result.GREATER, version: 0 }), true)
    assert.equal(succeeds({ ...range, target: Target.VERSION, result: Result.EQUAL, version: 1 }), false)
    assert.equal(succeeds({ ...range, target: Target.VALUE, result: Result.LESS, value: b('3') }), true)
    assert.equal(succeeds({ ...range, target: Target.VALUE, result: Result.EQUAL, value: b('1') }), false)
    assert.equal(
      succeeds({
        key: b('p/'),
        range_end: Buffer.from([0]),
        target: Target.CREATE,
        result: Result.LESS,
        create_revision: 4,
      }),
      true,
    )
    assert.equal(
      succeeds({
        key: b('p/'),
        range_end: Buffer.from([0]),
        target: Target.CREATE,
        result: Result.LESS,
        create_revision: 3,
      }),
      false,
    )
    assert.equal(
      succeeds({ key: b('q/'), range_end: b('q0'), target: Target.CREATE, result: Result.EQUAL, create_revision: 0 }),
      true,
    )
    assert.equal(
      succeeds({ key: b('q/'), range_end: b('q0'), target: Target.VALUE, result: Result.NOT_EQUAL, value: b('') }),
      false,
    )
  })

  it('runs the chosen branch under one main revision, reading its own writes, with per-op responses', async () => {
    put('a', 'a0') // 2
    const r = txn({
      compare: [{ key: b('a'), target: Target.VALUE, result: Result.EQUAL, value: b('a0') }],
      success: [
        { request_put: { key: b('a'), value: b('a1'), prev_kv: true } },
        { request_range: { key: b('a') } },
        { request_put: { key: b('b'), value: b('b1') } },
        { request_delete_range: { key: b('x'), range_end: b('y') } },
        { request_range: { key: b('a'), range_end: b('c'), revision: 2 } },
      ],
      failure: [{ request_put: { key: b('never'), value: b('1') } }],
    })
    assert.equal(r.succeeded, true)
    assert.equal(r.header?.revision, 3)
    const [p1, r1, p2, d1, r2] = r.responses
    assert.equal(p1.response_put?.header?.revision, 3)
    assert.equal(p1.response_put?.prev_kv?.value.toString(), 'a0')
    assert.deepEqual(
      r1.response_range?.kvs.map((kv) => [kv.value.toString(), kv.mod_revision, kv.version]),
      [['a1', 3, 2]],
    )
    assert.equal(r1.response_range?.header?.revision, 3)
    assert.equal(p2.response_put?.header?.revision, 3)
    assert.deepEqual([d1.response_delete_range?.deleted, d1.response_delete_range?.header?.revision], [0, 3])
    assert.deepEqual(
      r2.response_range?.kvs.map((kv) => kv.value.toString()),
      ['a0'],
    )
    assert.equal(r2.response_range?.header?.revision, 3)
    assert.equal(store.currentRevision, 3)
    const changes = await applyRange(store, rangeReq({ key: b('a'), range_end: b('c') }))
    assert.deepEqual(
      changes.kvs.map((kv) => [kv.key.toString(), kv.mod_revision]),
      [
        ['a', 3],
        ['b', 3],
      ],
    )
    assert.equal(await value('never'), undefined)
  })

  it('takes the failure branch when a compare fails, and no revision when it only reads', () => {
    put('a', '1')
    const r = txn({
      compare: [{ key: b('a'), target: Target.VERSION, result: Result.EQUAL, version: 5 }],
      success: [{ request_put: { key: b('a'), value: b('x') } }],
      failure: [{ request_range: { key: b('a') } }],
    })
    assert.equal(r.succeeded, false)
    assert.equal(r.header?.revision, 2)
    assert.equal(r.responses[0].response_range?.kvs[0].value.toString(), '1')
    assert.deepEqual(txn({}).responses, [])
    assert.equal(store.currentRevision, 2)
  })

  it('decides nested branches on the state before the txn and nests the responses', async () => {
    put('flag', 'off') // 2
    const r = txn({
      success: [
        { request_put: { key: b('flag'), value: b('on') } },
        {
          request_txn: {
            // sees "off": the outer put is not visible to compares
            compare: [{ key: b('flag'), target: Target.VALUE, result: Result.EQUAL, value: b('off') }],
            success: [{ request_put: { key: b('seen'), value: b('off') } }, { request_range: { key: b('flag') } }],
            failure: [{ request_put: { key: b('seen'), value: b('on') } }],
          },
        },
        { request_delete_range: { key: b('flag'), prev_kv: true } },
      ],
    })
    assert.equal(r.header?.revision, 3)
    const nested = r.responses[1].response_txn!
    assert.equal(nested.succeeded, true)
    assert.equal(nested.header?.revision, 0)
    assert.equal(nested.responses[0].response_put?.header?.revision, 3)
    assert.equal(nested.responses[1].response_range?.kvs[0].value.toString(), 'on', 'ops do see earlier writes')
    const del = r.responses[2].response_delete_range!
    assert.deepEqual([del.deleted, del.prev_kvs[0].value.toString(), del.prev_kvs[0].mod_revision], [1, 'on', 3])
    assert.equal(await value('seen'), 'off')
    assert.equal(await value('flag'), undefined)
  })

  it('checks the whole chosen path before writing anything', async () => {
    put('a', '1') // 2
    const cases: [Parameters<typeof txnReq>[0], unknown][] = [
      [
        {
          success: [
            { request_put: { key: b('new'), value: b('x') } },
            { request_put: { key: b('ghost'), ignore_value: true } },
          ],
        },
        Errors.KeyNotFound,
      ],
      [
        {
          success: [
            { request_put: { key: b('new'), value: b('x') } },
            { request_txn: { success: [{ request_put: { key: b('ghost'), ignore_lease: true, value: b('v') } }] } },
          ],
        },
        Errors.KeyNotFound,
      ],
      [
        {
          success: [{ request_put: { key: b('new'), value: b('x') } }, { request_range: { key: b('a'), revision: 3 } }],
        },
        Errors.FutureRev,
      ],
      [
        {
          success: [
            { request_put: { key: b('new'), value: b('x') } },
            { request_put: { key: b('l'), value: b('x'), lease: 99n } },
          ],
        },
        Errors.LeaseNotFound,
      ],
    ]
    for (const [req, err] of cases)
      assert.throws(
        () => txn(req, (id) => id !== 99n),
        (e) => e === err,
      )
    assert.equal(store.currentRevision, 2)
    assert.equal(await value('new'), undefined)
    // the failure branch is not checked when the success branch runs
    const ok = txn({
      success: [{ request_put: { key: b('a'), ignore_value: true, lease: 3n } }],
      failure: [{ request_put: { key: b('ghost'), ignore_value: true } }],
    })
    assert.equal(ok.header?.revision, 3)
  })

  it('serves read-only txns from the committed state without a revision', async () => {
    put('a', '1') // 2
    put('b', '2') // 3
    await store.compact(2)
    const req = txnReq({
      compare: [{ key: b('a'), target: Target.MOD, result: Result.EQUAL, mod_revision: 2 }],
      success: [{ request_range: { key: b('a'), range_end: b('c') } }],
      failure: [{ request_range: { key: b('b') } }],
    })
    assert.equal(isTxnReadOnly(req), true)
    assert.equal(isTxnReadOnly(txnReq({ failure: [{ request_put: { key: b('a') } }] })), false)
    const r = applyReadOnlyTxn(store, req)
    assert.equal(r.succeeded, true)
    assert.equal(r.header?.revision, 3)
    assert.deepEqual(
      r.responses[0].response_range?.kvs.map((kv) => kv.value.toString()),
      ['1', '2'],
    )
    assert.deepEqual(
      inBatch(store, (batch) => applyTxn(batch, req)),
      r,
    )
    assert.throws(
      () => applyReadOnlyTxn(store, txnReq({ success: [{ request_range: { key: b('a'), revision: 4 } }] })),
      (e) => e === Errors.FutureRev,
    )
    assert.throws(
      () => applyReadOnlyTxn(store, txnReq({ success: [{ request_range: { key: b('a'), revision: 1 } }] })),
      (e) => e === Errors.Compacted,
    )
    assert.throws(
      () => applyReadOnlyTxn(store, txnReq({ success: [{ request_range: { key: b('a'), revision: -1 } }] })),
      (e) => e === Errors.Compacted,
    )
    assert.throws(
      () => applyReadOnlyTxn(store, txnReq({ success: [{ request_put: { key: b('a') } }] })),
      /write operations/,
    )
    assert.equal(store.currentRevision, 3)
  })
})
