import assert from 'node:assert/strict'
import { encodeRangeResponse, type RangeResponse } from '../../../src/gen/etcdserverpb.js'
import { Errors } from '../../../src/errors/rpctypes.js'
import { encodeRangeResult } from '../../../src/server/api/range-encoding.js'
import type { MvccStore } from '../../../src/server/mvcc/store.js'
import type { RangeQuery } from '../../../src/server/mvcc/range.js'
import { Rng } from '../../helpers/rng.js'
import { EMPTY, FROM_KEY, k, query, StoreFixture } from './fixture.js'

const KEYS = 12000

function keyName(i: number): string {
  return `key/${String(i).padStart(6, '0')}`
}

/** KEYS keys written over several revisions: overwrites, deletes, leases, a few big values. */
function fill(store: MvccStore, rng: Rng): void {
  for (let round = 0; round < 3; round++) {
    const b = store.beginBatch()
    for (let start = 0; start < KEYS; start += 500) {
      const t = b.txn()
      for (let i = start; i < start + 500; i++) {
        if (round > 0 && rng.chance(0.1)) t.deleteRange(k(keyName(i)), EMPTY, false)
        else if (round === 0 || rng.chance(0.4))
          t.put(
            k(keyName(i)),
            k(`v${round}-${i}-${'x'.repeat(rng.int(rng.chance(0.01) ? 300 : 20))}`),
            BigInt(rng.int(3)),
          )
      }
      t.end()
    }
    b.commit()
  }
}

function randomQuery(rng: Rng, store: MvccStore): RangeQuery {
  const lo = rng.int(KEYS)
  const key = rng.chance(0.2) ? k('key/') : k(keyName(lo))
  const end = rng.chance(0.3) ? FROM_KEY : rng.chance(0.1) ? EMPTY : k(keyName(lo + rng.int(KEYS)))
  return query(key, end, {
    limit: rng.chance(0.3) ? rng.int(6000) : 0,
    revision: rng.chance(0.3) ? rng.range(Math.max(2, store.compactRevision), store.currentRevision) : 0,
    sort_order: rng.chance(0.3) ? rng.int(3) : 0,
    sort_target: rng.chance(0.3) ? rng.int(5) : 0,
    keys_only: rng.chance(0.1),
    count_only: rng.chance(0.05),
    min_mod_revision: rng.chance(0.1) ? rng.int(store.currentRevision) : 0,
    max_create_revision: rng.chance(0.1) ? rng.int(store.currentRevision) : 0,
  })
}

/** The response bytes the generated encoder gives for the reference answer. */
function bytesOf(r: RangeResponse): Buffer {
  return encodeRangeResponse(r)
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

describe('MvccStore: large ranges, read in chunks', () => {
  let f: StoreFixture
  beforeEach(async () => {
    f = await StoreFixture.open('memory')
  })
  afterEach(() => f.close())

  it('answers what the one-pass read answers, decoded or as encoded records, byte for byte', async () => {
    const rng = new Rng(7)
    fill(f.store, rng)
    for (let i = 0; i < 40; i++) {
      const q = randomQuery(rng, f.store)
      const ref = f.store.readTxn().range(q)
      const decoded = await f.store.range(q)
      assert.equal(decoded.kvsFields, undefined)
      assert.deepEqual(bytesOf(decoded), bytesOf(ref), `decoded, query ${i}`)
      const encoded = await f.store.range(q, { encoded: true })
      if (ref.kvs.length >= 256 && !q.keys_only && q.sort_target !== 4) {
        assert.ok(encoded.kvsFields !== undefined, `query ${i} answers with encoded records`)
      }
      assert.deepEqual(encodeRangeResult(encoded), bytesOf(ref), `encoded, query ${i}`)
      // With room left before it for the gRPC prefix: the same bytes after the room.
      const roomy = encodeRangeResult(encoded, 5)
      assert.deepEqual(roomy.subarray(5), bytesOf(ref), `encoded after room, query ${i}`)
    }
  })

  it('sees the revision it started at while writes land between its chunks', async () => {
    const rng = new Rng(8)
    fill(f.store, rng)
    for (const encoded of [false, true]) {
      const q = query('key/', FROM_KEY)
      const ref = f.store.readTxn().range(q)
      const pending = f.store.range(q, { encoded })
      let done = false
      void pending.finally(() => (done = true))
      let writes = 0
      while (!done) {
        await turn()
        const b = f.store.beginBatch()
        const t = b.txn()
        t.put(k(keyName(rng.int(KEYS + 100))), k('later'), 0n)
        t.deleteRange(k(keyName(rng.int(KEYS))), EMPTY, false)
        t.end()
        b.commit()
        writes++
      }
      assert.ok(writes > 1, 'writes landed while the range was read')
      assert.deepEqual(encodeRangeResult(await pending), bytesOf(ref))
    }
  })

  it('finishes at its revision when a compaction passes it between chunks; the records go after', async () => {
    const rng = new Rng(9)
    fill(f.store, rng)
    const q = query('key/', FROM_KEY)
    const ref = f.store.readTxn().range(q)
    const atRev = f.store.currentRevision
    const pending = f.store.range(q, { encoded: true })
    let physicalDone = false
    let physicalBeforeRange: boolean | undefined
    void pending.then(() => (physicalBeforeRange = physicalDone))
    await turn()
    const b = f.store.beginBatch()
    const t = b.txn()
    for (let i = 0; i < KEYS; i++) t.put(k(keyName(i)), k('newer'), 0n)
    t.end()
    const physical = b.compact(b.revision)
    b.commit()
    void physical.then(() => (physicalDone = true))
    assert.deepEqual(encodeRangeResult(await pending), bytesOf(ref))
    await physical
    assert.equal(physicalBeforeRange, false, 'the records stayed until the range was done')
    // A read at the old revision now is refused, and its records are gone.
    await assert.rejects(f.store.range({ ...q, revision: atRev }), (e) => e === Errors.Compacted)
  })
})
