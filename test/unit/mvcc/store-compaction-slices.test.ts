import assert from 'node:assert/strict'
import { hashBackend, hashByRev } from '../../../src/server/mvcc/hash.js'
import type { MvccStore } from '../../../src/server/mvcc/store.js'
import { Rng } from '../../helpers/rng.js'
import { StoreFixture, EMPTY, FROM_KEY, k, kvt, query, recordRevisions } from './fixture.js'

/** One random write transaction on every store: puts and deletes over a few hot keys, or a key written once. */
function write(rng: Rng, stores: MvccStore[], fresh: { next: number }): void {
  const ops: [key: string, value: string | null][] = []
  if (rng.chance(0.4)) {
    ops.push([`once/${fresh.next++}`, 'v'])
  } else {
    const used = new Set<string>()
    for (let i = rng.range(1, 3); i > 0; i--) {
      const key = `hot/${rng.int(12)}`
      if (used.has(key)) continue
      used.add(key)
      ops.push([key, rng.chance(0.25) ? null : `v${rng.int(1000)}`])
    }
  }
  for (const s of stores) {
    const b = s.beginBatch()
    const t = b.txn()
    for (const [key, value] of ops) {
      if (value === null) t.deleteRange(k(key), EMPTY, false)
      else t.put(k(key), k(value), 0n)
    }
    t.end()
    b.commit()
  }
}

/** Everything a client or a peer can see of a store: records, hashes, and reads at every revision kept. */
async function assertSame(a: MvccStore, b: MvccStore, fa: StoreFixture, fb: StoreFixture, what: string): Promise<void> {
  await a.compactionIdle()
  await b.compactionIdle()
  assert.equal(a.currentRevision, b.currentRevision, `${what}: revision`)
  assert.equal(a.compactRevision, b.compactRevision, `${what}: compaction revision`)
  assert.deepEqual(await recordRevisions(fa.backend), await recordRevisions(fb.backend), `${what}: records`)
  assert.deepEqual(await hashByRev(a, 0), await hashByRev(b, 0), `${what}: HashKV`)
  assert.deepEqual(await hashBackend(a), await hashBackend(b), `${what}: Hash`)
  assert.equal(a.indexedKeys, b.indexedKeys, `${what}: keys in the index`)
  for (let rev = Math.max(1, a.compactRevision); rev <= a.currentRevision; rev++) {
    const q = query(Buffer.from([0]), FROM_KEY, { revision: rev })
    const [ra, rb] = [await a.range(q), await b.range(q)]
    assert.deepEqual(ra.kvs.map(kvt), rb.kvs.map(kvt), `${what}: range at ${rev}`)
  }
}

describe('MvccStore: a compaction in many slices and batches ends as one in one slice and one batch', () => {
  const fixtures: StoreFixture[] = []
  afterEach(async () => Promise.all(fixtures.splice(0).map((f) => f.close())))

  for (const seed of [1, 2, 3]) {
    it(`same records, hashes and reads, with writes between slices and a restart mid-way (seed ${seed})`, async () => {
      const rng = new Rng(seed)
      // Many slices of one key each, one record deleted per backend write.
      const manyOptions = { compactionChunkSize: 1, compactionSlice: { ms: 0, keys: 1 } }
      const many = await StoreFixture.open('rocks', manyOptions)
      const one = await StoreFixture.open('rocks', { compactionChunkSize: 0, compactionSlice: { ms: 1e9, keys: 1e9 } })
      fixtures.push(many, one)
      const fresh = { next: 0 }
      for (let round = 0; round < 5; round++) {
        for (let i = rng.range(30, 120); i > 0; i--) write(rng, [many.store, one.store], fresh)
        const at = rng.range(Math.max(1, many.store.compactRevision + 1), many.store.currentRevision)
        const physical = many.store.compact(at)
        await one.store.compact(at)
        let finished = false
        physical.then(
          () => (finished = true),
          () => {},
        )
        // The same writes land between the slices and batches of one store, after the compaction of the other.
        let turns = 0
        const restartAt = round === 2 ? rng.range(2, 6) : -1
        while (!finished) {
          write(rng, [many.store, one.store], fresh)
          await new Promise((resolve) => setImmediate(resolve))
          if (++turns === restartAt) {
            await many.restart(manyOptions)
            await physical.catch(() => {})
            break
          }
        }
        assert.ok(turns > 1, 'the compaction took several turns')
        await assertSame(many.store, one.store, many, one, `round ${round}, compacted at ${at}`)
      }
      await many.restart(manyOptions)
      await one.restart()
      await assertSame(many.store, one.store, many, one, 'after a restart')
    })
  }
})
