/**
 * Randomized (seeded) runs of many watchers on streams that back up, under heavy writes,
 * compactions and watchers created mid-way: every watcher must get exactly the events it
 * watches, in order, once, each revision in one response; a watcher that loses its history
 * to compaction gets a prefix and then the compaction answer; nothing is sent past
 * back-pressure and the hub holds at most one batch per watcher.
 *
 * Replay a failing seed with WATCH_SEED=<seed>.
 */
import assert from 'node:assert/strict'
import { WatchCreateRequest_FilterType, type WatchCreateRequestInit } from '../../../src/gen/etcdserverpb.js'
import type { WatchStream } from '../../../src/server/watch/stream.js'
import { Rng } from '../../helpers/rng.js'
import { Harness, RecordingSink, b, settle, until, type Ev } from './harness.js'

interface Spec {
  sink: RecordingSink
  id: number
  req: WatchCreateRequestInit
  match: (key: string) => boolean
  start: number
}

const KEYS = Array.from({ length: 24 }, (_, i) => `${'abc'[i % 3]}/${i}`)

function randomRequest(rng: Rng, current: number): { req: WatchCreateRequestInit; match: (k: string) => boolean } {
  const filters: number[] = []
  const filter = rng.int(6)
  if (filter === 0) filters.push(WatchCreateRequest_FilterType.NOPUT)
  else if (filter === 1) filters.push(WatchCreateRequest_FilterType.NODELETE)
  const start = rng.int(3) === 0 ? 0 : 1 + rng.int(Math.max(1, current))
  const common = { start_revision: start, filters, prev_kv: rng.int(3) === 0 }
  switch (rng.int(3)) {
    case 0: {
      const k = rng.pick(KEYS)
      return { req: { key: b(k), ...common }, match: (x) => x === k }
    }
    case 1: {
      const p = rng.pick(['a/', 'b/', 'c/'])
      const end = p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1)
      return { req: { key: b(p), range_end: b(end), ...common }, match: (x) => x.startsWith(p) }
    }
    default: {
      const from = rng.pick(KEYS)
      return { req: { key: b(from), range_end: Buffer.from([0]), ...common }, match: (x) => x >= from }
    }
  }
}

async function run(seed: number): Promise<void> {
  const rng = new Rng(seed)
  const h = await Harness.open({
    maxRevisions: 1 + rng.int(60),
    maxBytes: 4096 + rng.int(64 * 1024),
    maxWatchers: 1 + rng.int(8),
  })
  const specs: Spec[] = []
  const sinks: RecordingSink[] = []
  const streams: WatchStream[] = []
  let sawVictims = 0
  let sawUnsynced = 0
  let maxHeldEvents = 0
  let maxCommit = 0
  try {
    for (let i = 0; i < 6; i++) {
      const sink = new RecordingSink(1 + rng.int(6))
      sinks.push(sink)
      streams.push(h.stream(sink))
    }
    const addWatcher = (): void => {
      const i = rng.int(sinks.length)
      const before = sinks[i].responses.length
      const { req, match } = randomRequest(rng, h.store.currentRevision)
      h.watch(streams[i], req)
      const created = sinks[i].responses[before]
      assert.ok(created.created && !created.canceled)
      const rev = created.header!.revision
      const start = req.start_revision === 0 ? rev + 1 : req.start_revision!
      specs.push({ sink: sinks[i], id: created.watch_id, req, match, start })
    }
    for (let i = 0; i < 30; i++) addWatcher()

    for (let step = 0; step < 1500; step++) {
      const before = h.log.length
      h.batch((bt) => {
        const txns = 1 + rng.int(4)
        for (let t = 0; t < txns; t++) {
          const txn = bt.txn()
          // Distinct keys in a txn, as etcd requires.
          const keys = new Set(Array.from({ length: 1 + rng.int(3) }, () => rng.pick(KEYS)))
          for (const k of keys) {
            if (rng.int(5) === 0) txn.deleteRange(b(k), Buffer.alloc(0), false)
            else txn.put(b(k), Buffer.alloc(1 + rng.int(1500), String.fromCharCode(97 + rng.int(26))), 0n)
          }
          txn.end()
        }
      })
      maxCommit = Math.max(maxCommit, h.log.length - before)
      const c = h.hub.counts
      sawVictims = Math.max(sawVictims, c.victims)
      sawUnsynced = Math.max(sawUnsynced, c.unsynced)
      maxHeldEvents = Math.max(maxHeldEvents, h.hub.buffered.heldEvents)
      // Clients read at their own pace.
      for (const s of sinks) if (rng.int(2) === 0) s.drain()
      if (rng.int(2) === 0) {
        await settle(2 + rng.int(3))
        // Commits wait in line only for their prev_kv reads.
        assert.equal(h.hub.buffered.queued, 0)
      }
      if (rng.int(60) === 0) addWatcher()
      if (rng.int(700) === 0) await h.compact(Math.max(1, h.store.currentRevision - 1000))
    }
    // Let everyone catch up.
    await until(
      () => {
        for (const s of sinks) s.drain()
        return h.hub.counts.unsynced === 0 && h.hub.counts.victims === 0
      },
      'all watchers to catch up',
      20000,
    )

    for (const s of sinks) assert.equal(s.eventsWhileFull, 0, 'an event response was sent past back-pressure')
    assert.ok(sawVictims > 0, 'the victim path was exercised')
    assert.ok(sawUnsynced > 0, 'the unsynced path was exercised')
    assert.ok(maxHeldEvents <= specs.length * maxCommit, `held ${maxHeldEvents} events for ${specs.length} watchers`)

    const prevOf = prevModel(h)
    const compactRev = h.store.compactRevision
    for (const sp of specs) {
      const label = `seed ${seed}, watch ${sp.id} ${JSON.stringify({ ...sp.req, key: sp.req.key?.toString(), range_end: sp.req.range_end?.toString('hex') })}`
      const want = h.expected(sp.match, sp.start, {
        noPut: sp.req.filters?.includes(WatchCreateRequest_FilterType.NOPUT),
        noDelete: sp.req.filters?.includes(WatchCreateRequest_FilterType.NODELETE),
      })
      const responses = sp.sink.responses.filter((r) => r.watch_id === sp.id && !r.created)
      const got: Ev[] = sp.sink.events(sp.id)
      const compacted = responses.find((r) => r.compact_revision !== 0)
      const plain = got.map(({ prev: _p, ...e }) => e)
      if (compacted) {
        assert.deepEqual(plain, want.slice(0, got.length), `${label}: a prefix before the compaction`)
        const seen = got.length > 0 ? got[got.length - 1].rev + 1 : sp.start
        assert.ok(
          seen < compacted.compact_revision,
          `${label}: compacted though it had seen everything below ${compacted.compact_revision}`,
        )
        assert.equal(responses.at(-1), compacted, `${label}: nothing after the compaction answer`)
      } else {
        assert.deepEqual(plain, want, label)
      }
      // Each revision in one response.
      const perRev = new Map<number, number>()
      for (const e of want) perRev.set(e.rev, (perRev.get(e.rev) ?? 0) + 1)
      for (const r of sp.sink.eventResponses(sp.id)) {
        const inResp = new Map<number, number>()
        for (const e of r.events) inResp.set(e.kv!.mod_revision, (inResp.get(e.kv!.mod_revision) ?? 0) + 1)
        for (const [rev, n] of inResp) assert.equal(n, perRev.get(rev), `${label}: revision ${rev} split`)
      }
      if (sp.req.prev_kv) {
        for (const e of got) {
          const model = prevOf.get(`${e.rev}/${e.key}`)
          if (e.prev !== undefined) assert.equal(e.prev, model, `${label}: prev of ${e.key}@${e.rev}`)
          else assert.ok(model === undefined || e.rev - 1 < compactRev, `${label}: missing prev of ${e.key}@${e.rev}`)
        }
      } else {
        assert.ok(got.every((e) => e.prev === undefined))
      }
    }
  } finally {
    await h.close()
  }
}

/** The value each key had before each change (undefined when it did not exist). */
function prevModel(h: Harness): Map<string, string | undefined> {
  const live = new Map<string, string>()
  const out = new Map<string, string | undefined>()
  for (const c of h.log) {
    const k = c.kv.key.toString('latin1')
    out.set(`${c.kv.mod_revision}/${k}`, live.get(k))
    if (c.type === 0) live.set(k, c.kv.value.toString('latin1'))
    else live.delete(k)
  }
  return out
}

describe('watch hub: slow consumers under heavy writes (randomized)', function () {
  this.timeout(120000)
  const seeds = process.env.WATCH_SEED ? [Number(process.env.WATCH_SEED)] : [1, 2, 3, 4]
  for (const seed of seeds) {
    it(`delivers everything exactly once, in order, with bounded buffering (seed ${seed})`, async () => {
      try {
        await run(seed)
      } catch (err) {
        console.log(
          `      replay: WATCH_SEED=${seed} npx mocha --no-config --exit dist/test/unit/watch/slow-consumers.test.js`,
        )
        throw err
      }
    })
  }
})
