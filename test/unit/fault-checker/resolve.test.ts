import assert from 'node:assert/strict'
import type { Operation } from '../../fault/history.js'
import { checkHistory } from '../../fault/linearizability.js'
import { makeSchedule } from '../../fault/schedule.js'
import { compareHistories, missingAcknowledged, resolveUnknown, type HistEvent } from '../../fault/verify.js'

const put = (id: number, call: number, ret: number, value: string, revision?: number): Operation => ({
  id,
  client: id,
  key: 'k',
  input: { kind: 'put', value },
  call,
  ret,
  revision,
  ...(ret === Infinity ? { error: 'deadline' } : { output: { kind: 'put' } }),
})
const get = (id: number, call: number, ret: number, value: string | null, revision: number): Operation => ({
  id,
  client: id,
  key: 'k',
  input: { kind: 'get' },
  call,
  ret,
  output: { kind: 'get', value },
  revision,
})
const ev = (revision: number, value: string | null): HistEvent => ({
  revision,
  type: value === null ? 'delete' : 'put',
  key: 'k',
  value: value ?? '',
  createRevision: 2,
  version: 1,
})

describe('fault checker: settling unknown outcomes from the cluster history', () => {
  it('drops writes that never took effect and bounds the response of those that did', () => {
    const ops = [
      put(0, 0, 1, 'a', 2),
      put(1, 2, Infinity, 'lost'),
      put(2, 3, Infinity, 'late'),
      get(3, 10, 11, 'late', 3),
      get(4, 20, 21, 'late', 3),
    ]
    const r = resolveUnknown(ops, [ev(2, 'a'), ev(3, 'late')])
    assert.equal(r.dropped, 1)
    assert.equal(r.tookEffect, 1)
    const late = r.ops.find((o) => o.id === 2)!
    assert.deepEqual(late.output, { kind: 'put' })
    assert.equal(late.ret, 11, 'applied before the first response that saw revision 3')
    assert.ok(checkHistory(r.ops).ok)
    // bounded by that response, the late write cannot come after a put acknowledged later
    // (another key's read answered at revision 3 by time 4)
    const bounded = [
      put(0, 0, 1, 'a', 2),
      put(1, 2, Infinity, 'late'),
      { ...get(2, 3, 4, null, 3), key: 'other' },
      put(3, 5, 6, 'b', 4),
      get(4, 10, 11, 'late', 4),
    ]
    assert.ok(checkHistory(bounded).ok, 'unbounded, the late write could take effect after b')
    assert.equal(checkHistory(resolveUnknown(bounded, [ev(2, 'a'), ev(3, 'late'), ev(4, 'b')]).ops).ok, false)
  })

  it('keeps a delete of unknown outcome open only when a delete event is unexplained', () => {
    const del = (id: number, ret: number, deleted?: number, revision?: number): Operation => ({
      id,
      client: id,
      key: 'k',
      input: { kind: 'delete' },
      call: id,
      ret,
      revision,
      ...(deleted === undefined ? {} : { output: { kind: 'delete', deleted } }),
    })
    assert.equal(
      resolveUnknown([put(0, 0, 1, 'a', 2), del(1, 3, 1, 3), del(2, Infinity)], [ev(2, 'a'), ev(3, null)]).open,
      0,
    )
    assert.equal(resolveUnknown([put(0, 0, 1, 'a', 2), del(2, Infinity)], [ev(2, 'a'), ev(3, null)]).open, 1)
  })

  it('finds acknowledged writes missing from a member and differences between members', () => {
    const ops = [put(0, 0, 1, 'a', 2), put(1, 2, 3, 'b', 3)]
    assert.deepEqual(missingAcknowledged('etcd1', ops, [ev(2, 'a'), ev(3, 'b')]), [])
    const missing = missingAcknowledged('etcd2', ops, [ev(2, 'a')])
    assert.equal(missing.length, 1)
    assert.match(missing[0], /etcd2 lacks acknowledged #1/)
    assert.deepEqual(compareHistories(['etcd1', 'etcd2'], [[ev(2, 'a')], [ev(2, 'a')]]), [])
    assert.match(
      compareHistories(['etcd1', 'etcd2'], [[ev(2, 'a'), ev(3, 'b')], [ev(2, 'a')]])[0],
      /differ at their event #1/,
    )
  })

  it('draws the same schedule from the same seed', () => {
    assert.deepEqual(makeSchedule(42, 6), makeSchedule(42, 6))
    assert.notDeepEqual(makeSchedule(42, 6), makeSchedule(43, 6))
  })
})
