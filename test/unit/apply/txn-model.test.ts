/**
 * Randomized: batches of random requests (puts with ignore_value / ignore_lease / leases,
 * delete ranges, txns with nested txns and ranges, compactions), some with a planted failure
 * in the middle of their writes, applied through KvStateMachine.applyBatch and through the
 * reference applier (model-apply.ts), where a failing request leaves the model unchanged.
 * After each batch: results, revision, contents, lease attachments and commit notifications
 * agree; now and then the whole history, the records and the index size too.
 */
import assert from 'node:assert/strict'
import {
  Compare_CompareResult as Result,
  Compare_CompareTarget as Target,
  type DeleteRangeRequestInit,
  type PutRequestInit,
  type RequestOpInit,
  type TxnRequestInit,
} from '../../../src/gen/etcdserverpb.js'
import type { InternalRequestInit } from '../../../src/gen/tsetcdpb.js'
import { EtcdError } from '../../../src/errors/rpctypes.js'
import { EMPTY, FROM_KEY, k, kvt, query, recordRevisions } from '../mvcc/fixture.js'
import { Model } from '../mvcc/model.js'
import { Rng } from '../../helpers/rng.js'
import { settle } from '../watch/harness.js'
import { AppliedState, decoded } from './applied-state.js'
import { ModelApplier, type ModelResult } from './model-apply.js'
import { plantWriteFailure } from './plant.js'

const KEYS = ['a', 'b', 'c', 'd', 'e', 'e\u0000']
const LEASES = [0n, 0n, 0n, 1n, 2n, 9n] // 9 is never granted
const PLANTED = new EtcdError(13, 'planted failure')

class Gen {
  constructor(
    private readonly rng: Rng,
    private readonly model: Model,
  ) {}

  key(): Buffer {
    return k(this.rng.pick(KEYS))
  }

  put(): PutRequestInit {
    const r = this.rng
    const ignoreValue = r.int(3) === 0
    const ignoreLease = r.int(3) === 0
    return {
      key: this.key(),
      value: ignoreValue ? EMPTY : k(`v${r.int(1000)}`),
      lease: ignoreLease ? 0n : r.pick(LEASES),
      ignore_value: ignoreValue,
      ignore_lease: ignoreLease,
      prev_kv: r.int(2) === 0,
    }
  }

  del(): DeleteRangeRequestInit {
    return {
      key: this.key(),
      range_end: this.rng.pick([EMPTY, EMPTY, FROM_KEY, k(this.rng.pick(KEYS))]),
      prev_kv: this.rng.int(2) === 0,
    }
  }

  /** A revision around the valid ones: some compacted, some in the future. */
  revision(): number {
    const m = this.model
    return Math.max(0, m.compacted - 1 + this.rng.int(m.rev - m.compacted + 3))
  }

  op(depth: number): RequestOpInit {
    const what = this.rng.int(depth < 2 ? 20 : 17)
    if (what < 8) return { request_put: this.put() }
    if (what < 13) return { request_delete_range: this.del() }
    if (what < 17)
      return {
        request_range: {
          key: this.key(),
          range_end: this.rng.pick([EMPTY, FROM_KEY]),
          revision: this.rng.int(3) === 0 ? this.revision() : 0,
        },
      }
    return { request_txn: this.txn(depth + 1) }
  }

  txn(depth: number): TxnRequestInit {
    const r = this.rng
    const ops = (): RequestOpInit[] => Array.from({ length: r.int(4) }, () => this.op(depth))
    const compare = Array.from({ length: r.int(3) }, () => ({
      key: this.key(),
      target: Target.VERSION,
      result: r.pick([Result.EQUAL, Result.GREATER]),
      version: 0,
    }))
    return { compare, success: ops(), failure: ops() }
  }

  request(): InternalRequestInit {
    const what = this.rng.int(60)
    if (what < 20) return { put: this.put() }
    if (what < 30) return { delete_range: this.del() }
    if (what < 59) return { txn: this.txn(0) }
    return { compaction: { revision: this.revision() } }
  }
}

const show = (r: ModelResult): unknown =>
  r.ok ? { revision: r.revision, succeeded: r.succeeded } : { err: r.err.message }

/** Keys the index holds: those with a record that compaction keeps (see Model.expectedRecords). */
function indexedKeys(m: Model): number {
  const latestBelow = new Map<string, boolean>()
  const keys = new Set<string>()
  for (const r of m.recs) {
    if (r.main <= m.compacted) latestBelow.set(r.key, r.value !== null)
    else keys.add(r.key)
  }
  for (const [key, live] of latestBelow) if (live) keys.add(key)
  return keys.size
}

async function run(kind: 'memory' | 'rocks', seed: number, steps: number): Promise<void> {
  const rng = new Rng(seed)
  const model = new Model()
  const ref = new ModelApplier(model)
  const gen = new Gen(rng, model)
  const s = await AppliedState.open(kind)
  let step = 0
  const counts = { ok: 0, failed: 0, planted: 0 }
  try {
    for (const id of [1n, 2n]) {
      assert.equal(s.one({ lease_grant: { ID: id, TTL: 600 } }).ok, true)
      ref.leases.add(id)
    }
    for (; step < steps; step++) {
      const reqs = Array.from({ length: 1 + rng.int(4) }, () => decoded(gen.request()))
      const plantAt = rng.int(3) === 0 ? 1 + rng.int(4) : 0
      ref.beginBatch(plantAt, PLANTED)
      const want = reqs.map((r) => show(ref.apply(r)))
      const restore = plantAt > 0 ? plantWriteFailure(plantAt - 1, PLANTED) : undefined
      let applied
      try {
        applied = s.applyDecoded(reqs)
      } finally {
        restore?.()
      }
      const got = applied.map((a) => {
        if (!a.ok) return { err: a.err.message }
        const res = a.res as { header?: { revision?: number }; succeeded?: boolean }
        return { revision: res.header?.revision, succeeded: res.succeeded }
      })
      assert.deepEqual(got, want, 'results')
      for (const g of got) {
        if (!('err' in g)) counts.ok++
        else if (g.err === PLANTED.message) counts.planted++
        else counts.failed++
      }
      assert.equal(s.f.store.currentRevision, model.rev, 'revision')
      const all = query(Buffer.from([0]), FROM_KEY)
      assert.deepEqual((await s.f.store.range(all)).kvs.map(kvt), model.range(all).kvs.map(kvt), 'contents')
      assert.deepEqual(
        KEYS.map((key) => s.lessor.leaseOf(k(key))),
        KEYS.map((key) => model.cur.get(key)?.lease ?? 0n),
        'lease attachments',
      )
      assert.deepEqual(
        s.commits,
        model.recs.map((r) => `${r.value === null ? 'DELETE' : 'PUT'} ${r.key}@${r.main}`),
        'commit notifications',
      )
      if (step % 25 === 24) {
        for (let rev = Math.max(1, model.compacted); rev <= model.rev; rev++) {
          const q = query(Buffer.from([0]), FROM_KEY, { revision: rev })
          assert.deepEqual((await s.f.store.range(q)).kvs.map(kvt), model.range(q).kvs.map(kvt), `history at ${rev}`)
        }
        await s.f.store.compactionIdle()
        assert.deepEqual(await recordRevisions(s.f.backend), model.expectedRecords(), 'records')
        assert.equal(s.f.store.indexedKeys, indexedKeys(model), 'index size')
      }
    }
    await settle()
    assert.deepEqual(s.watched(), s.commits, 'the watcher saw every commit and nothing else')
    assert.ok(
      counts.ok > steps && counts.failed > steps / 10 && counts.planted > steps / 20,
      `the run covered enough: ${JSON.stringify(counts)}`,
    )
  } catch (err) {
    console.error(`txn model: failed at seed ${seed} step ${step} (${kind} backend)`)
    if (err instanceof Error) err.message = `seed ${seed} step ${step}: ${err.message}`
    throw err
  } finally {
    await s.close()
  }
}

describe('applyBatch against a reference applier (randomized, seeded): failed requests change nothing', () => {
  for (const seed of [1, 2, 3]) {
    it(`memory backend, seed ${seed}: 300 batches`, () => run('memory', seed, 300))
  }
  it('RocksDB backend, seed 11: 150 batches', () => run('rocks', 11, 150))
})
