import assert from 'node:assert/strict'
import { encodeTxnRequest, decodeTxnRequest } from '../../../src/gen/etcdserverpb.js'
import { parseTxn, TxnReader, TXN_PROMPTS, argify, parseCompare, parseRequestOp } from '../../../src/ctl/txn-grammar.js'
import { EtcdctlExit } from '../../../src/output/exit-error.js'
import { TXN_CASES } from '../output/fixtures/etcdctl-txn-cases.js'

function failure(f: () => unknown): EtcdctlExit {
  try {
    f()
  } catch (e) {
    if (e instanceof EtcdctlExit) return e
    throw e
  }
  assert.fail('expected etcdctl to fail')
}

// int64 operands beyond 2^53 do not fit the generated messages' number fields.
const UNREPRESENTABLE = /"9223372036854775807"/

describe('client: txn grammar against etcdctl', () => {
  for (const c of TXN_CASES.filter((x) => !UNREPRESENTABLE.test(x.input))) {
    it(`${c.interactive ? '-i ' : ''}${JSON.stringify(c.input)}`, () => {
      if (c.exit === 0) {
        const req = parseTxn(c.input)
        assert.equal(encodeTxnRequest(req).toString('base64'), c.request)
        return
      }
      const e = failure(() => parseTxn(c.input))
      assert.equal(e.exitCode, c.exit, e.message)
      const stderr = c.stderr.startsWith('panic: ') ? e.stderr.slice(0, e.stderr.indexOf('\n')) : e.stderr
      assert.equal(stderr, c.stderr)
      assert.equal(c.stdout, '')
    })
  }

  it('prints the prompts etcdctl prints in interactive mode, one per section', () => {
    const c = TXN_CASES.find((x) => x.interactive && x.exit === 0)!
    const r = new TxnReader()
    const shown: string[] = [TXN_PROMPTS.compares]
    for (const line of c.input.split('\n').slice(0, -1)) {
      const before = r.section
      r.pushLine(line)
      if (r.section !== before && r.section !== 'done') shown.push(TXN_PROMPTS[r.section])
    }
    assert.equal(encodeTxnRequest(r.end()).toString('base64'), c.request)
    // etcdctl printed the three prompts, then the (stub) result.
    assert.equal(shown.map((p) => p + '\n').join('') + 'SUCCESS\n', c.stdout)
  })
})

describe('client: txn grammar pieces', () => {
  it("decodes a compare into etcd's Compare message", () => {
    const cmp = parseCompare('value("k\\x00") != "v"')
    assert.deepEqual(cmp, { result: 3, target: 3, key: Buffer.from('k\0'), value: Buffer.from('v') })
  })

  it('splits request lines like argify, keeping bytes that are not UTF-8', () => {
    const args = argify('put "a\\xffb" z')
    assert.deepEqual(
      args.map((a) => Buffer.from(a, 'latin1')),
      [Buffer.from('put'), Buffer.from([0x61, 0xff, 0x62]), Buffer.from('z')],
    )
  })

  it('builds requests the way clientv3 does', () => {
    const op = parseRequestOp('get "a\\xff" --prefix --limit 3')
    assert.deepEqual(op.request_range, {
      key: Buffer.from([0x61, 0xff]),
      range_end: Buffer.from('b'),
      limit: 3,
      sort_order: 0,
      sort_target: 0,
    })
    const put = parseRequestOp('put k v --lease=ff --prev-kv').request_put
    assert.deepEqual(put, { key: Buffer.from('k'), value: Buffer.from('v'), lease: 255n, prev_kv: true })
  })

  it('takes a put value from stdin only when the caller provides one', () => {
    const e = failure(() => parseRequestOp('put k'))
    assert.equal(e.exitCode, 128)
    const op = parseRequestOp('put k', { readPutValue: () => 'from stdin' })
    assert.equal(op.request_put!.value!.toString(), 'from stdin')
  })

  it('stops reading after the failure section and ignores the rest', () => {
    const req = parseTxn('\n\nput a b\n\nthis is not parsed\n')
    assert.equal(decodeTxnRequest(encodeTxnRequest(req)).failure.length, 1)
    const done = parseTxn('\n\n\nnot parsed either\n')
    assert.deepEqual(done, { compare: [], success: [], failure: [] })
  })
})
