/**
 * Randomized: the store against the reference model (a plain list of every revision) over
 * thousands of seeded operations — batches of transactions, ranges of every shape at random
 * revisions, compactions (valid and not), restarts (also during physical compaction).
 */
import assert from 'node:assert/strict'
import type { RangeResponse } from '../../../src/gen/etcdserverpb.js'
import type { RangeQuery } from '../../../src/server/mvcc/range.js'
import { StoreFixture, EMPTY, FROM_KEY, k, kvt, query, recordRevisions } from './fixture.js'
import { Model } from './model.js'
import { Rng } from '../../helpers/rng.js'

const KEYS = [
  'a',
  'ab',
  'abc',
  'b',
  'b\u0000',
  'c',
  'x/1',
  'x/2',
  'x/3',
  'x/30',
  'y',
  '\u0000',
  '\u007f',
  '\u0080',
  '\u00ff',
  '\u00ff\u00ff',
]

function outcome<T>(fn: () => T): { ok: T } | { err: unknown } {
  try {
    return { ok: fn() }
  } catch (err) {
    return { err }
  }
}

async function outcomeAsync<T>(fn: () => Promise<T>): Promise<{ ok: T } | { err: unknown }> {
  try {
    return { ok: await fn() }
  } catch (err) {
    return { err }
  }
}

const show = (r: { ok: RangeResponse } | { err: unknown }): unknown =>
  'err' in r
    ? { err: r.err }
    : { rev: r.ok.header?.revision, count: r.ok.count, more: r.ok.more, kvs: r.ok.kvs.map(kvt) }

function randomEnd(rng: Rng, key: string): Buffer {
  switch (rng.int(4)) {
    case 0:
      return EMPTY
    case 1:
      return FROM_KEY
    case 2: {
      const b = k(key)
      return Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([b[b.length - 1] + 1])]) // prefix end
    }
    default:
      return k(rng.pick(KEYS))
  }
}

function randomQuery(rng: Rng, model: Model): RangeQuery {
  const key = rng.pick(KEYS)
  const q = query(key, randomEnd(rng, key))
  q.revision = rng.int(3) === 0 ? 0 : model.compacted - 2 + rng.int(model.rev - model.compacted + 4)
  if (rng.int(3) === 0) q.limit = rng.int(4)
  if (rng.int(3) === 0) {
    q.sort_order = rng.int(3)
    q.sort_target = rng.int(5)
  }
  if (rng.int(6) === 0) q.count_only = true
  if (rng.int(6) === 0) q.keys_only = true
  if (rng.int(5) === 0) q.min_mod_revision = rng.int(model.rev + 1)
  if (rng.int(5) === 0) q.max_create_revision = rng.int(model.rev + 1)
  return q
}

async function run(kind: 'memory' | 'rocks', seed: number, steps: number): Promise<void> {
  const rng = new Rng(seed)
  const f = await StoreFixture.open(kind, { compactionChunkSize: 3 })
  const model = new Model()
  let ci = 0
  try {
    for (let step = 0; step < steps; step++) {
      const op = rng.int(100)
      const where = `seed ${seed} step ${step}`
      if (op < 50) {
        const b = f.store.beginBatch()
        const txns = 1 + rng.int(3)
        for (let i = 0; i < txns; i++) {
          const t = b.txn()
          const mt = model.txn()
          const ops = 1 + rng.int(4)
          for (let j = 0; j < ops; j++) {
            const key = rng.pick(KEYS)
            const what = rng.int(10)
            if (what < 5) {
              const value = `v${step}.${i}.${j}`
              const lease = BigInt(rng.int(3))
              t.put(k(key), k(value), lease)
              mt.put(k(key), k(value), lease)
            } else if (what < 7) {
              const end = randomEnd(rng, key)
              const got = t.deleteRange(k(key), end, true)
              const want = mt.deleteRange(k(key), end)
              assert.deepEqual(got.prevKvs?.map(kvt), want.map(kvt), `${where}: deleteRange`)
            } else if (what < 9) {
              assert.deepEqual(kvt(t.get(k(key))), kvt(mt.get(k(key))), `${where}: get in txn`)
            } else {
              const q = randomQuery(rng, model)
              const got = outcome(() => t.range(q))
              const want = outcome(() => model.range(q, mt.revision))
              assert.deepEqual(show(got), show(want), `${where}: range in txn ${JSON.stringify(q)}`)
            }
          }
          assert.equal(t.end().revision, mt.end(), `${where}: txn revision`)
        }
        b.commit({ consistentIndex: ++ci }, { sync: false })
      } else if (op < 78) {
        const q = randomQuery(rng, model)
        const want = show(outcome(() => model.range(q)))
        assert.deepEqual(show(await outcomeAsync(() => f.store.range(q))), want, `${where}: range ${JSON.stringify(q)}`)
        assert.deepEqual(show(outcome(() => f.store.readTxn().range(q))), want, `${where}: read txn range`)
      } else if (op < 88) {
        const rev = model.compacted - 1 + rng.int(model.rev - model.compacted + 3)
        const got = outcome(() => f.store.compact(rev))
        if (rev <= model.compacted || rev > model.rev) {
          assert.ok('err' in got, `${where}: compact(${rev}) should fail`)
        } else {
          assert.ok('ok' in got, `${where}: compact(${rev})`)
          got.ok.catch(() => {})
          model.compacted = rev
        }
      } else if (op < 94) {
        await f.store.compactionIdle()
        assert.deepEqual(
          await recordRevisions(f.backend),
          model.expectedRecords(),
          `${where}: records after compaction`,
        )
      } else if (op < 97) {
        await f.restart()
        assert.equal(f.store.currentRevision, model.rev, `${where}: revision after restart`)
        assert.equal(f.store.consistentIndex, ci, `${where}: consistent index after restart`)
        assert.equal(f.store.compactRevision, model.compacted, `${where}: compaction after restart`)
      } else {
        for (let rev = Math.max(1, model.compacted); rev <= model.rev; rev += 1 + rng.int(5)) {
          const q = query(Buffer.from([0]), FROM_KEY, { revision: rev })
          assert.deepEqual(
            (await f.store.range(q)).kvs.map(kvt),
            model.range(q).kvs.map(kvt),
            `${where}: history at ${rev}`,
          )
        }
      }
      assert.equal(f.store.currentRevision, model.rev, `${where}: revision`)
    }
    await f.store.compactionIdle()
    assert.deepEqual(await recordRevisions(f.backend), model.expectedRecords(), `seed ${seed}: records at the end`)
    assert.ok(model.rev > steps / 3, 'the run wrote enough to matter')
    assert.ok(model.compacted > 0, 'the run compacted')
  } finally {
    await f.close()
  }
}

describe('MvccStore against a reference model (randomized, seeded)', () => {
  for (const seed of [1, 2, 3]) {
    it(`memory backend, seed ${seed}: 2000 operations`, () => run('memory', seed, 2000))
  }
  it('RocksDB backend, seed 11: 800 operations', () => run('rocks', 11, 800))
})
