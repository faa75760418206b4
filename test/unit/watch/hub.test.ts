import assert from 'node:assert/strict'
import { WatchCreateRequest_FilterType } from '../../../src/gen/etcdserverpb.js'
import { CancelReason } from '../../../src/server/watch/stream.js'
import { Harness, RecordingSink, b, settle, until, withoutPrev } from './harness.js'

const PUT = 0
const DELETE = 1

describe('watch hub: a store watched through commit notifications and history', () => {
  let h: Harness

  beforeEach(async () => {
    h = await Harness.open({ progressIntervalMs: 100 })
  })

  afterEach(() => h.close())

  it('answers a create with created, the watch ID and the store revision, then sends each commit in order', async () => {
    h.put('foo', 'v0') // revision 2, before the watch
    const sink = new RecordingSink()
    const s = h.stream(sink)
    h.watch(s, { key: b('foo') })
    assert.deepEqual(
      sink.responses.map((r) => [r.watch_id, r.created, r.canceled, r.header?.revision, r.events.length]),
      [[0, true, false, 2, 0]],
    )
    h.put('foo', 'v1')
    h.put('other', 'x')
    h.del('foo')
    h.put('foo', 'v2')
    await settle()
    const rs = sink.eventResponses(0)
    assert.deepEqual(
      rs.map((r) => r.header?.revision),
      [3, 5, 6],
    )
    assert.deepEqual(
      withoutPrev(sink.events(0)),
      h.expected((k) => k === 'foo', 3),
    )
    assert.deepEqual(
      sink.events(0).map((e) => [e.type, e.rev]),
      [
        [PUT, 3],
        [DELETE, 5],
        [PUT, 6],
      ],
    )
  })

  it('sends all events of a revision in one response, and one response per commit batch', async () => {
    const sink = new RecordingSink()
    const s = h.stream(sink)
    h.watch(s, { key: b('k'), range_end: b('l') })
    h.txnPuts([
      ['k1', 'a'],
      ['k2', 'b'],
      ['k3', 'c'],
    ])
    h.batch(() => {}) // an empty batch sends nothing
    h.batch((bt) => {
      for (const [k, v] of [
        ['k1', 'x'],
        ['k2', 'y'],
      ]) {
        const t = bt.txn()
        t.put(b(k), b(v), 0n)
        t.end()
      }
    })
    const rs = sink.eventResponses(0)
    assert.deepEqual(
      rs.map((r) => r.events.map((e) => [e.kv!.key.toString(), e.kv!.mod_revision])),
      [
        [
          ['k1', 2],
          ['k2', 2],
          ['k3', 2],
        ],
        [
          ['k1', 3],
          ['k2', 4],
        ],
      ],
    )
    assert.deepEqual(
      rs.map((r) => r.header?.revision),
      [2, 4],
    )
  })

  it('serves a past start revision from history, then carries on live without gap or repeat', async () => {
    for (let i = 0; i < 30; i++) h.put(`p/${i % 4}`, `v${i}`)
    h.del('p/1')
    h.put('q', 'out of range')
    const sink = new RecordingSink()
    const s = h.stream(sink)
    h.watch(s, { key: b('p/'), range_end: b('p0'), start_revision: 10 })
    assert.equal(h.hub.counts.unsynced, 1)
    h.put('p/9', 'during catch-up')
    await until(() => h.hub.counts.synced === 1, 'the watcher to catch up')
    h.put('p/2', 'live')
    await settle()
    assert.deepEqual(
      sink.events(0),
      h.expected((k) => k.startsWith('p/'), 10),
    )
    assert.equal(sink.responses[0].created, true)
  })

  it('reads history in chunks that never split a revision', async () => {
    const small = await Harness.open({ maxRevisions: 3, maxBytes: 1 })
    try {
      for (let i = 0; i < 5; i++)
        small.txnPuts([
          [`a${i}`, 'x'],
          [`b${i}`, 'y'],
        ])
      const sink = new RecordingSink()
      const s = small.stream(sink)
      small.watch(s, { key: b('\0'), range_end: b('\0'), start_revision: 1 })
      await until(() => small.hub.counts.synced === 1, 'catch-up')
      const rs = sink.eventResponses(0)
      assert.ok(rs.length >= 5, `one revision per chunk with maxBytes 1, got ${rs.length} responses`)
      for (const r of rs) {
        const revs = new Set(r.events.map((e) => e.kv!.mod_revision))
        for (const rev of revs) assert.equal(r.events.filter((e) => e.kv!.mod_revision === rev).length, 2)
      }
      assert.deepEqual(
        sink.events(0),
        small.expected(() => true, 1),
      )
    } finally {
      await small.close()
    }
  })

  it('watches a single key, a range, a prefix and every key from a key ("\\0" range end)', async () => {
    const sink = new RecordingSink()
    const s = h.stream(sink)
    h.watch(s, { key: b('b') }) // 0: single key
    h.watch(s, { key: b('b'), range_end: b('d') }) // 1: [b, d)
    h.watch(s, { key: b('c'), range_end: b('\0') }) // 2: >= c
    h.watch(s, { key: b(''), range_end: b('\0') }) // 3: everything ("" is "\0")
    for (const k of ['a', 'b', 'ba', 'c', 'd', 'zz']) h.put(k, '1')
    const keys = (id: number) => sink.events(id).map((e) => e.key)
    assert.deepEqual(keys(0), ['b'])
    assert.deepEqual(keys(1), ['b', 'ba', 'c'])
    assert.deepEqual(keys(2), ['c', 'd', 'zz'])
    assert.deepEqual(keys(3), ['a', 'b', 'ba', 'c', 'd', 'zz'])
  })

  it('drops events matching NOPUT / NODELETE filters, live and from history', async () => {
    h.put('f', '1')
    h.del('f')
    const sink = new RecordingSink()
    const s = h.stream(sink)
    h.watch(s, { key: b('f'), filters: [WatchCreateRequest_FilterType.NOPUT], start_revision: 1 })
    h.watch(s, { key: b('f'), filters: [WatchCreateRequest_FilterType.NODELETE], start_revision: 1 })
    await until(() => h.hub.counts.synced === 2, 'catch-up')
    h.put('f', '2')
    h.del('f')
    await settle()
    assert.deepEqual(
      sink.events(0).map((e) => [e.type, e.rev]),
      [
        [DELETE, 3],
        [DELETE, 5],
      ],
    )
    assert.deepEqual(
      sink.events(1).map((e) => [e.type, e.rev]),
      [
        [PUT, 2],
        [PUT, 4],
      ],
    )
    // A commit whose events are all filtered out sends nothing.
    const before = sink.responses.length
    h.put('f', '3')
    assert.equal(sink.eventResponses(0).length, 2)
    assert.equal(sink.responses.length, before + 1)
  })

  it('fills prev_kv from the store (not for creates), live and from history', async () => {
    h.put('k', 'a') // 2 create
    h.put('k', 'b') // 3
    h.del('k') // 4
    h.put('k', 'c') // 5 create again
    const sink = new RecordingSink()
    const s = h.stream(sink)
    h.watch(s, { key: b('k'), prev_kv: true, start_revision: 2 }) // 0: history then live
    h.watch(s, { key: b('k'), prev_kv: true }) // 1: live only
    h.watch(s, { key: b('k') }) // 2: no prev_kv
    await until(() => h.hub.counts.synced === 3, 'catch-up')
    h.put('k', 'd') // 6
    h.del('k') // 7
    await until(() => sink.events(0).length === 6 && sink.events(1).length === 2, 'live events')
    assert.deepEqual(
      sink.events(0).map((e) => [e.rev, e.value, e.prev]),
      [
        [2, 'a', undefined],
        [3, 'b', 'a'],
        [4, '', 'b'],
        [5, 'c', undefined],
        [6, 'd', 'c'],
        [7, '', 'd'],
      ],
    )
    assert.deepEqual(
      sink.events(1).map((e) => e.prev),
      ['c', 'd'],
    )
    assert.ok(sink.events(2).every((e) => e.prev === undefined))
  })

  it('answers a start revision below the compaction with compact_revision and canceled', async () => {
    for (let i = 0; i < 10; i++) h.put('c', `${i}`)
    await h.compact(8)
    const sink = new RecordingSink()
    const s = h.stream(sink)
    h.watch(s, { key: b('c'), start_revision: 3 })
    h.watch(s, { key: b('c'), start_revision: 8 }) // at the compaction revision: still served
    await until(
      () => sink.responses.some((r) => r.compact_revision !== 0) && h.hub.counts.synced === 1,
      'compaction answer',
    )
    const c = sink.responses.find((r) => r.watch_id === 0 && !r.created)!
    assert.deepEqual(
      [c.compact_revision, c.canceled, c.created, c.header?.revision, c.events.length],
      [8, true, false, 0, 0],
    )
    assert.deepEqual(
      sink.events(1).map((e) => e.rev),
      [8, 9, 10, 11],
    )
    // The compacted watcher is gone from the hub but keeps its ID until the client cancels it.
    h.put('c', 'more')
    assert.equal(sink.events(0).length, 0)
    s.cancel(0)
    assert.deepEqual(sink.responses.at(-1)!.canceled, true)
    assert.equal(sink.responses.at(-1)!.watch_id, 0)
  })

  it('tells a watcher that fell behind and then lost its history to compaction', async () => {
    const sink = new RecordingSink(1)
    const s = h.stream(sink)
    h.watch(s, { key: b('x') }) // the created response fills the sink
    h.put('x', '1') // the sink is full: the watcher becomes a victim holding revision 2
    assert.equal(h.hub.counts.victims, 1)
    h.put('x', '2')
    h.put('x', '3')
    await h.compact(4)
    sink.drain() // sends the held batch (filling the sink again); the watcher needs revision 3 next, below the compaction
    await settle()
    sink.drain()
    await until(() => sink.responses.some((r) => r.compact_revision === 4), 'compaction answer')
    assert.deepEqual(
      sink.events(0).map((e) => e.rev),
      [2],
    )
    assert.deepEqual(h.hub.counts, { synced: 0, unsynced: 0, victims: 0, streams: 1 })
  })

  it('assigns watch IDs per stream from 0, takes chosen IDs, refuses duplicates and empty ranges', async () => {
    const s1 = new RecordingSink()
    const s2 = new RecordingSink()
    const a = h.stream(s1)
    const c = h.stream(s2)
    h.watch(a, { key: b('k') })
    h.watch(a, { key: b('k'), watch_id: 7 })
    h.watch(a, { key: b('k') })
    h.watch(a, { key: b('k'), watch_id: 7 })
    h.watch(a, { key: b('z'), range_end: b('a') })
    h.watch(c, { key: b('k') })
    const created = (sink: RecordingSink) =>
      sink.responses.map((r) => [r.watch_id, r.created, r.canceled, r.cancel_reason])
    assert.deepEqual(created(s1), [
      [0, true, false, ''],
      [7, true, false, ''],
      [1, true, false, ''],
      [-1, true, true, CancelReason.DuplicateId],
      [-1, true, true, CancelReason.EmptyRange],
    ])
    assert.deepEqual(created(s2), [[0, true, false, '']])
  })

  it("cancels a watcher with a canceled response, ignores unknown IDs, and removes a closed stream's watchers", async () => {
    const sink = new RecordingSink()
    const s = h.stream(sink)
    h.watch(s, { key: b('k') })
    h.watch(s, { key: b('k'), start_revision: 1 })
    h.put('k', '1')
    s.cancel(0)
    s.cancel(42)
    const last = sink.responses.at(-1)!
    assert.deepEqual([last.watch_id, last.canceled, last.created, last.header?.revision], [0, true, false, 2])
    h.put('k', '2')
    await settle()
    assert.deepEqual(
      sink.events(0).map((e) => e.rev),
      [2],
    )
    s.close()
    assert.deepEqual(h.hub.counts, { synced: 0, unsynced: 0, victims: 0, streams: 0 })
    const n = sink.responses.length
    h.put('k', '3')
    await settle()
    assert.equal(sink.responses.length, n)
  })

  it('answers a progress request with watch_id -1 and the revision once every watcher of the stream is synced', async () => {
    for (let i = 0; i < 5; i++) h.put('k', `${i}`)
    const sink = new RecordingSink(2)
    const s = h.stream(sink)
    s.requestProgress()
    assert.deepEqual(
      [sink.responses[0].watch_id, sink.responses[0].header?.revision, sink.responses[0].events.length],
      [-1, 6, 0],
    )
    sink.drain()
    h.watch(s, { key: b('k'), start_revision: 2 })
    h.watch(s, { key: b('j') }) // fills the sink: the first cannot catch up yet
    s.requestProgress()
    await settle()
    assert.equal(sink.responses.filter((r) => r.watch_id === -1).length, 1, 'deferred while a watcher is behind')
    sink.drain()
    await until(() => sink.responses.filter((r) => r.watch_id === -1).length === 2, 'the deferred progress response')
    const i = sink.responses.map((r) => r.watch_id).lastIndexOf(-1)
    assert.ok(
      sink.responses.slice(0, i).some((r) => r.watch_id === 0 && r.events.length === 5),
      'after the history it covers',
    )
    assert.equal(sink.responses[i].header?.revision, 6)
  })

  it('sends periodic progress notifications to idle watchers that asked, not after events', async () => {
    const sink = new RecordingSink()
    const s = h.stream(sink)
    h.watch(s, { key: b('k'), progress_notify: true }) // 0
    h.watch(s, { key: b('j'), progress_notify: true }) // 1
    h.watch(s, { key: b('i') }) // 2: did not ask
    const busy = setInterval(() => h.put('k', 'x'), 20)
    try {
      await until(
        () => sink.responses.filter((r) => r.watch_id === 1 && r.events.length === 0 && !r.created).length >= 2,
        'two progress notifications',
        3000,
      )
    } finally {
      clearInterval(busy)
    }
    const progress = (id: number) =>
      sink.responses.filter((r) => r.watch_id === id && r.events.length === 0 && !r.created)
    assert.equal(progress(0).length, 0, 'a watcher receiving events gets no progress notification')
    assert.equal(progress(2).length, 0)
    assert.ok(progress(1).every((r) => r.header!.revision > 1 && !r.canceled))
  })

  it('ends every stream when closed', async () => {
    const sink = new RecordingSink()
    const s = h.stream(sink)
    h.watch(s, { key: b('k') })
    h.hub.close()
    assert.equal(sink.closed, true)
    assert.equal(s.closed, true)
    const late = new RecordingSink()
    h.stream(late)
    assert.equal(late.closed, true)
  })
})
