import assert from 'node:assert/strict'
import type { Input, Operation, Output } from '../../fault/history.js'
import { checkHistory, checkKey } from '../../fault/linearizability.js'
import { randomHistory } from './random-history.js'

/** A hand-made history: op(client, [call, ret], input, output); ret Infinity = unknown outcome. */
function history() {
  const ops: Operation[] = []
  const add = (client: number, call: number, ret: number, input: Input, output?: Output, key = 'k'): Operation => {
    const op: Operation = { id: ops.length, client, key, input, call, ret, output }
    ops.push(op)
    return op
  }
  return {
    ops,
    put: (c: number, call: number, ret: number, value: string, key?: string) =>
      add(c, call, ret, { kind: 'put', value }, ret === Infinity ? undefined : { kind: 'put' }, key),
    get: (c: number, call: number, ret: number, value: string | null, key?: string) =>
      add(c, call, ret, { kind: 'get' }, { kind: 'get', value }, key),
    cas: (
      c: number,
      call: number,
      ret: number,
      expect: string | null,
      value: string,
      succeeded?: boolean,
      key?: string,
    ) =>
      add(
        c,
        call,
        ret,
        { kind: 'cas', expect, value },
        succeeded === undefined ? undefined : { kind: 'cas', succeeded },
        key,
      ),
    del: (c: number, call: number, ret: number, deleted?: number, key?: string) =>
      add(c, call, ret, { kind: 'delete' }, deleted === undefined ? undefined : { kind: 'delete', deleted }, key),
  }
}

function accepted(ops: Operation[]): void {
  const r = checkHistory(ops)
  assert.ok(r.ok, r.explanation)
}

function rejected(ops: Operation[], key = 'k'): string {
  const r = checkHistory(ops)
  assert.equal(r.ok, false, 'history should not be linearizable')
  const v = r.keys.find((k) => k.key === key)!
  assert.equal(v.result, 'violation')
  return r.explanation
}

describe('fault checker: linearizability of register histories', () => {
  it('accepts an empty history and a sequential one', () => {
    accepted([])
    const h = history()
    h.get(0, 0, 1, null)
    h.put(0, 2, 3, 'a')
    h.get(1, 4, 5, 'a')
    h.cas(0, 6, 7, 'a', 'b', true)
    h.cas(1, 8, 9, 'a', 'c', false)
    h.get(0, 10, 11, 'b')
    h.del(1, 12, 13, 1)
    h.get(0, 14, 15, null)
    h.del(0, 16, 17, 0)
    h.cas(1, 18, 19, null, 'd', true)
    h.get(0, 20, 21, 'd')
    accepted(h.ops)
  })

  it('accepts a read concurrent with a write returning either the old or the new value', () => {
    for (const seen of ['a', 'b']) {
      const h = history()
      h.put(0, 0, 1, 'a')
      h.put(0, 2, 10, 'b')
      h.get(1, 3, 4, seen)
      h.get(2, 5, 6, seen)
      accepted(h.ops)
    }
  })

  it('accepts reads whose order pins down the order of concurrent writes', () => {
    const h = history()
    h.put(0, 0, 10, 'a')
    h.put(1, 0, 10, 'b')
    h.get(2, 1, 2, 'b')
    h.get(2, 3, 4, 'a')
    h.get(3, 11, 12, 'a')
    accepted(h.ops)
  })

  it('rejects a stale read', () => {
    const h = history()
    h.put(0, 0, 1, 'a')
    h.put(0, 2, 3, 'b')
    h.get(1, 4, 5, 'a')
    const why = rejected(h.ops)
    assert.match(why, /key "k" is not linearizable/)
    assert.match(why, /Longest linearizable prefix: 2 operations, leaving the key "b"/)
    assert.match(why, /#2 c1 \[4\.0, 5\.0\] ms k: get\(\) → "a"/)
  })

  it('rejects reads that go back in time (one concurrent write seen, then unseen)', () => {
    const h = history()
    h.put(0, 0, 1, 'a')
    h.put(0, 2, 20, 'b')
    h.get(1, 3, 4, 'b')
    h.get(2, 5, 6, 'a')
    rejected(h.ops)
  })

  it('rejects a lost write: an acknowledged put no later read sees', () => {
    const h = history()
    h.put(0, 0, 1, 'a')
    h.get(1, 2, 3, null)
    rejected(h.ops)
  })

  it('rejects a read of a value nobody wrote', () => {
    const h = history()
    h.put(0, 0, 1, 'a')
    h.get(1, 2, 3, 'zzz')
    rejected(h.ops)
  })

  it('rejects two compare-and-sets that both succeed on the same expected value', () => {
    const h = history()
    h.cas(0, 0, 10, null, 'a', true)
    h.cas(1, 0, 10, null, 'b', true)
    rejected(h.ops)
    const ok = history()
    ok.cas(0, 0, 10, null, 'a', true)
    ok.cas(1, 0, 10, null, 'b', false)
    ok.get(2, 11, 12, 'a')
    accepted(ok.ops)
  })

  it('rejects a compare-and-set that fails although the value matched, and one that succeeds on a stale value', () => {
    const a = history()
    a.put(0, 0, 1, 'x')
    a.cas(1, 2, 3, 'x', 'y', false)
    rejected(a.ops)
    const b = history()
    b.put(0, 0, 1, 'x')
    b.put(0, 2, 3, 'z')
    b.cas(1, 4, 5, 'x', 'y', true)
    rejected(b.ops)
    const c = history()
    c.put(0, 0, 1, 'x')
    c.cas(1, 2, 3, 'x', 'y', true)
    c.get(2, 4, 5, 'x')
    rejected(c.ops)
  })

  it('checks what a delete reports', () => {
    const a = history()
    a.put(0, 0, 1, 'x')
    a.del(1, 2, 3, 0)
    rejected(a.ops)
    const b = history()
    b.put(0, 0, 1, 'x')
    b.del(1, 2, 3, 1)
    b.get(0, 4, 5, 'x')
    rejected(b.ops)
  })

  it('lets an operation with unknown outcome take effect at any time after its invocation, or never', () => {
    const seen = history()
    seen.put(0, 0, 1, 'a')
    seen.put(1, 2, Infinity, 'b') // timed out
    seen.get(2, 50, 51, 'a')
    seen.get(2, 100, 101, 'b') // took effect late
    seen.get(3, 200, 201, 'b')
    accepted(seen.ops)

    const never = history()
    never.put(0, 0, 1, 'a')
    never.put(1, 2, Infinity, 'b')
    never.cas(1, 3, Infinity, 'a', 'c')
    never.del(1, 4, Infinity)
    never.get(2, 500, 501, 'a')
    accepted(never.ops)

    const unknownCas = history()
    unknownCas.put(0, 0, 1, 'a')
    unknownCas.cas(1, 2, Infinity, 'a', 'c')
    unknownCas.get(2, 10, 11, 'c')
    unknownCas.cas(2, 12, 13, 'c', 'd', true)
    accepted(unknownCas.ops)
  })

  it('rejects an unknown-outcome write seen before it was invoked, or seen and then undone', () => {
    const early = history()
    early.get(0, 0, 1, 'b')
    early.put(1, 2, Infinity, 'b')
    rejected(early.ops)

    const undone = history()
    undone.put(0, 0, 1, 'a')
    undone.put(1, 2, Infinity, 'b')
    undone.get(2, 10, 11, 'b')
    undone.get(2, 12, 13, 'a')
    rejected(undone.ops)

    // an unknown CAS cannot succeed from a state it did not expect
    const cas = history()
    cas.put(0, 0, 1, 'a')
    cas.cas(1, 2, Infinity, 'x', 'c')
    cas.get(2, 10, 11, 'c')
    rejected(cas.ops)
  })

  it('ignores reads with unknown outcome', () => {
    const h = history()
    h.put(0, 0, 1, 'a')
    h.ops.push({ id: 1, client: 1, key: 'k', input: { kind: 'get' }, call: 2, ret: Infinity, error: 'deadline' })
    accepted(h.ops)
  })

  it('checks keys independently and names the key that fails', () => {
    const h = history()
    h.put(0, 0, 1, 'a', 'k1')
    h.put(0, 0, 1, 'a', 'k2')
    h.get(1, 2, 3, 'a', 'k1')
    h.get(1, 2, 3, null, 'k2')
    const r = checkHistory(h.ops)
    assert.equal(r.ok, false)
    assert.deepEqual(
      r.keys.map((k) => [k.key, k.result]),
      [
        ['k1', 'ok'],
        ['k2', 'violation'],
      ],
    )
    assert.match(r.explanation, /key "k2" is not linearizable/)
    assert.doesNotMatch(r.explanation, /key "k1"/)
  })

  it('checks thousands of operations on one key, with unknown outcomes, and finds one corrupted read among them', function () {
    this.timeout(60000)
    for (const seed of [1, 2, 3]) {
      const ops = randomHistory(seed, 3000, 6, 0.01)
      const v = checkKey('k', ops)
      assert.equal(v.result, 'ok', v.result === 'ok' ? '' : v.explanation)
      // corrupt one read in the middle: it returns a value nobody wrote
      const reads = ops.filter((o) => o.output?.kind === 'get')
      const victim = reads[Math.floor(reads.length / 2)]
      victim.output = { kind: 'get', value: 'never-written' }
      const bad = checkKey('k', ops)
      assert.equal(bad.result, 'violation')
      assert.match((bad as { explanation: string }).explanation, /never-written/)
    }
  })
})
