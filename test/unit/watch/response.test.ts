import assert from 'node:assert/strict'
import {
  decodeWatchResponse,
  encodeResponseHeader,
  encodeWatchResponse,
  sizeWatchResponse,
} from '../../../src/gen/etcdserverpb.js'
import { Event_EventType, type KeyValue } from '../../../src/gen/mvccpb.js'
import { WatchEvent } from '../../../src/server/watch/event.js'
import { KeyRange } from '../../../src/server/watch/key-range.js'
import { encodeWatchOut, EventsPart } from '../../../src/server/watch/response.js'

const header = { cluster_id: 11n, member_id: 22n, revision: 9, raft_term: 3n }
const headerBytes = encodeResponseHeader(header)

/** The KeyValue a key held at revision 1. */
function old(key: string): KeyValue {
  return {
    key: Buffer.from(key),
    value: Buffer.from('old'),
    create_revision: 1,
    mod_revision: 1,
    version: 1,
    lease: 0n,
  }
}

function put(key: string, rev: number, valueBytes: number, prev?: KeyValue): WatchEvent {
  const kv: KeyValue = {
    key: Buffer.from(key),
    value: Buffer.alloc(valueBytes, 'v'),
    create_revision: 1,
    mod_revision: rev,
    version: rev,
    lease: 0n,
  }
  return new WatchEvent(Event_EventType.PUT, kv, prev, prev !== undefined)
}

describe('watch responses: encoding and fragments', () => {
  it('encodes exactly what the generated encoder does, with and without prev_kv', () => {
    const prev = old('a')
    const evs = [
      put('a', 2, 3, prev),
      new WatchEvent(Event_EventType.DELETE, {
        key: Buffer.from('b'),
        value: Buffer.alloc(0),
        create_revision: 0,
        mod_revision: 3,
        version: 0,
        lease: 0n,
      }),
    ]
    for (const withPrev of [false, true]) {
      const [got] = encodeWatchOut({ watchId: 5, revision: 9, events: evs, withPrev }, headerBytes, 1 << 20)
      const want = encodeWatchResponse({
        header,
        watch_id: 5,
        events: evs.map((e) => ({ type: e.type, kv: e.kv, prev_kv: withPrev ? e.prev : undefined })),
      })
      assert.deepEqual(got, want)
    }
    const [ctl] = encodeWatchOut(
      { watchId: -1, revision: 0, created: true, canceled: true, cancelReason: 'why', compactRevision: 4 },
      encodeResponseHeader({ ...header, revision: 0 }),
      1 << 20,
    )
    const d = decodeWatchResponse(ctl)
    assert.deepEqual(
      [d.watch_id, d.created, d.canceled, d.cancel_reason, d.compact_revision, d.header?.revision],
      [-1, true, true, 'why', 4, 0],
    )
  })

  it('encodes the events part once per list, shared by every response that has that list', () => {
    const one = put('k1', 7, 40, old('k1'))
    const lists = [one.alone, [one, put('k2', 7, 300)], [put('k3', 8, 5000), put('k4', 8, 5000)]]
    const shared = new EventsPart()
    let seed = 7
    const rand = (n: number): number => (seed = (seed * 48271) % 2147483647) % n
    let whole = 0
    for (let i = 0; i < 400; i++) {
      const events = lists[rand(lists.length)]!
      const out = {
        watchId: [0, 1, 127, 128, 300000, -1][rand(6)]!,
        revision: 9,
        events,
        withPrev: rand(2) === 0,
        fragment: rand(2) === 0,
        created: rand(8) === 0 ? true : undefined,
        compactRevision: rand(8) === 0 ? 3 : undefined,
      }
      const limit = [1 << 20, 6000, 100][rand(3)]!
      const got = encodeWatchOut(out, headerBytes, limit, shared)
      // The same as with nothing shared: a stale part (other list, other prev_kv choice) differs.
      assert.deepEqual(got, encodeWatchOut(out, headerBytes, limit), `case ${i}`)
      // With room left in front for a transport's framing: the same bytes after it.
      const room = [5, 14][rand(2)]!
      const roomy = encodeWatchOut(out, headerBytes, limit, shared, room)
      assert.deepEqual(
        roomy.map((b) => b.subarray(room)),
        got,
        `case ${i}, headroom ${room}`,
      )
      if (got.length > 1) continue
      whole++
      const want = encodeWatchResponse({
        header,
        watch_id: out.watchId,
        created: out.created,
        compact_revision: out.compactRevision,
        events: events.map((e) => ({ type: e.type, kv: e.kv, prev_kv: out.withPrev ? e.prev : undefined })),
      })
      assert.deepEqual(got[0], want, `case ${i}`)
    }
    assert.ok(whole > 150, `whole responses: ${whole}`)
    assert.equal(shared.of(one.alone, true), shared.of(one.alone, true))
  })

  it('splits a large response into fragments under the limit when the watcher allows it', () => {
    const evs = Array.from({ length: 40 }, (_, i) => put(`k${i}`, 10 + i, 100 + ((i * 37) % 400)))
    const limit = 2000
    const whole = encodeWatchOut({ watchId: 1, revision: 9, events: evs }, headerBytes, limit)
    assert.equal(whole.length, 1, 'not without `fragment`')
    const parts = encodeWatchOut({ watchId: 1, revision: 9, events: evs, fragment: true }, headerBytes, limit)
    assert.ok(parts.length > 5)
    const decoded = parts.map((p) => decodeWatchResponse(p))
    assert.deepEqual(
      decoded.map((d) => d.fragment),
      [...parts.slice(1).map(() => true), false],
    )
    for (const p of parts) assert.ok(p.length < limit)
    // Each fragment is as full as the limit lets it be (etcd's rule).
    for (let i = 0; i < decoded.length - 1; i++) {
      const next = decoded[i + 1].events[0]
      assert.ok(sizeWatchResponse({ ...decoded[i], events: [...decoded[i].events, next] }) >= limit)
    }
    assert.deepEqual(
      decoded.flatMap((d) => d.events.map((e) => e.kv!.mod_revision)),
      evs.map((e) => e.revision),
    )
    assert.ok(decoded.every((d) => d.watch_id === 1 && d.header?.revision === 9))
  })

  it('sends a single event over the limit whole, and a response under the limit unfragmented', () => {
    const big = [put('a', 2, 5000)]
    assert.equal(encodeWatchOut({ watchId: 1, revision: 9, events: big, fragment: true }, headerBytes, 1000).length, 1)
    const two = [put('a', 2, 5000), put('b', 3, 5000)]
    const parts = encodeWatchOut({ watchId: 1, revision: 9, events: two, fragment: true }, headerBytes, 1000)
    assert.deepEqual(
      parts.map((p) => decodeWatchResponse(p).events.length),
      [1, 1],
    )
    assert.equal(
      encodeWatchOut({ watchId: 1, revision: 9, events: two, fragment: true }, headerBytes, 1 << 20).length,
      1,
    )
  })
})

describe('watch key ranges', () => {
  const r = (key: string, end: string) => KeyRange.fromRequest(Buffer.from(key, 'latin1'), Buffer.from(end, 'latin1'))

  it('reads key and range_end as etcd does', () => {
    assert.equal(r('a', '')!.contains('a'), true)
    assert.equal(r('a', '')!.contains('ab'), false)
    assert.equal(r('', '')!.contains('\0'), true, 'an empty key is "\\0"')
    assert.equal(r('b', '\0')!.contains('zzz'), true)
    assert.equal(r('b', '\0')!.contains('a'), false)
    assert.equal(r('a', 'c')!.contains('b\u00ff'), true)
    assert.equal(r('a', 'c')!.contains('c'), false)
    assert.equal(r('\u00fe', '\u00ff')!.contains('\u00fe\u00ff'), true, 'bytes compare unsigned')
    assert.equal(r('b', 'a'), undefined)
    assert.equal(r('b', 'b'), undefined)
  })
})
