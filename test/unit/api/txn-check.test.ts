import assert from 'node:assert/strict'
import type { RequestOpInit } from '../../../src/gen/etcdserverpb.js'
import { Errors } from '../../../src/errors/rpctypes.js'
import { checkTxnRequest } from '../../../src/server/api/txn-check.js'
import { b, txnReq } from '../apply/requests.js'

const put = (key: string): RequestOpInit => ({ request_put: { key: b(key), value: b('v') } })
const del = (key: string, end?: string | Buffer): RequestOpInit => ({
  request_delete_range: { key: b(key), range_end: typeof end === 'string' ? b(end) : end },
})
const get = (key: string): RequestOpInit => ({ request_range: { key: b(key) } })
const sub = (success: RequestOpInit[], failure: RequestOpInit[] = []): RequestOpInit => ({
  request_txn: { success, failure },
})

function check(success: RequestOpInit[], failure: RequestOpInit[] = [], maxTxnOps = 128): unknown {
  try {
    checkTxnRequest(txnReq({ success, failure }), maxTxnOps)
    return 'ok'
  } catch (e) {
    return e
  }
}

describe('apply: checkTxnRequest', () => {
  it('limits the number of compares and ops per branch, nested txns sharing the budget', () => {
    const ops = (n: number) => Array.from({ length: n }, (_, i) => put(`k${i}`))
    assert.equal(check(ops(3), [], 3), 'ok')
    assert.equal(check(ops(4), [], 3), Errors.TooManyOps)
    assert.equal(check([], ops(4), 3), Errors.TooManyOps)
    assert.equal(check([sub(ops(2))], [], 3), 'ok')
    assert.equal(check([sub(ops(3))], [], 3), Errors.TooManyOps)
    const compares = Array.from({ length: 4 }, () => ({ key: b('c') }))
    assert.throws(
      () => checkTxnRequest(txnReq({ compare: compares }), 3),
      (e) => e === Errors.TooManyOps,
    )
  })

  it('rejects empty keys, provided values or leases with ignore flags, and empty ops', () => {
    assert.throws(
      () => checkTxnRequest(txnReq({ compare: [{ key: b('') }] }), 128),
      (e) => e === Errors.EmptyKey,
    )
    assert.equal(check([get('')]), Errors.EmptyKey)
    assert.equal(check([del('')]), Errors.EmptyKey)
    assert.equal(check([{ request_put: { key: b('') } }]), Errors.EmptyKey)
    assert.equal(check([{ request_put: { key: b('k'), value: b('v'), ignore_value: true } }]), Errors.ValueProvided)
    assert.equal(check([{ request_put: { key: b('k'), lease: 1n, ignore_lease: true } }]), Errors.LeaseProvided)
    assert.equal(check([{}]), Errors.KeyNotFound)
    assert.equal(check([sub([get('')])]), Errors.EmptyKey)
  })

  it('rejects a key put twice or put and deleted on one path', () => {
    assert.equal(check([put('a'), put('a')]), Errors.DuplicateKey)
    assert.equal(check([put('a'), del('a')]), Errors.DuplicateKey)
    assert.equal(check([del('a', 'c'), put('b')]), Errors.DuplicateKey)
    assert.equal(check([put('a'), sub([put('a')])]), Errors.DuplicateKey)
    assert.equal(check([del('a', 'c'), sub([put('b')])]), Errors.DuplicateKey)
    assert.equal(check([sub([del('b')]), put('b')]), Errors.DuplicateKey)
    assert.equal(check([sub([put('x')]), sub([put('x')])]), Errors.DuplicateKey)
    assert.equal(check([], [put('z'), put('z')]), Errors.DuplicateKey)
  })

  it('allows what cannot collide', () => {
    assert.equal(check([put('a'), put('b'), get('a'), get('b')]), 'ok')
    assert.equal(check([del('a'), del('a', 'z')]), 'ok')
    assert.equal(check([del('a', 'c'), put('c')]), 'ok')
    assert.equal(check([sub([put('x')], [put('x')])]), 'ok', 'then and else of one txn are exclusive')
    assert.equal(check([put('a')], [put('a')]), 'ok', 'success and failure are exclusive')
    assert.equal(check([del('a', Buffer.from([0])), put('b')]), 'ok', 'etcd does not see a from-key delete overlap')
  })
})
