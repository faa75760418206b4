/**
 * The index rebuilt from the backend on open equals the index the store built while applying
 * the same history: seeded random histories of puts (with leases), deletes, transactions of
 * several changes, generations ended and started again, finished compactions and one
 * interrupted at a random point. On RocksDB the records are read by a worker thread; in memory
 * in the calling thread.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Backend } from '../../../src/server/backend/backend.js'
import { Bucket, bucketBounds, bucketKey } from '../../../src/server/backend/buckets.js'
import { MemoryBackend } from '../../../src/server/backend/memory-backend.js'
import { RocksBackend } from '../../../src/server/backend/rocks-backend.js'
import { encodeKeyValue } from '../../../src/gen/mvccpb.js'
import { StoreBatch } from '../../../src/server/mvcc/batch.js'
import { Compactor } from '../../../src/server/mvcc/compactor.js'
import { FLAG_LEASE } from '../../../src/server/mvcc/record-heads.js'
import { scanHeads } from '../../../src/server/mvcc/restore-scan.js'
import { restoreState, type RestoreProgress } from '../../../src/server/mvcc/restore.js'
import { revKey } from '../../../src/server/mvcc/revision.js'
import { StoreState } from '../../../src/server/mvcc/store-state.js'
import type { TreeIndex } from '../../../src/server/mvcc/tree-index.js'
import { Rng } from '../../helpers/rng.js'
import { k, recordRevisions } from './fixture.js'

/** Every key in tree order with its generations and lease; the map holds the same keys. */
function dump(index: TreeIndex): string[] {
  const out: string[] = []
  index.scan('', undefined, (ki) => {
    const gens = ki.generations().map((g) => `${g.created}/${g.ver}:${g.revs.join(',')}`)
    // The current generation's revisions are held in an array exactly when there are two or more.
    const current = ki.currentRevs()
    assert.equal(ki.revs !== null, current.length >= 4, `revisions of ${ki.skey}: ${JSON.stringify(ki.revs)}`)
    if (current.length > 0) assert.deepEqual([ki.lastMain, ki.lastSub], current.slice(-2))
    out.push(`${JSON.stringify(ki.skey)} ${gens.join(' | ')} lease=${ki.lease} last=${ki.lastMain}.${ki.lastSub}`)
  })
  const inMap = [...index.values()].map((ki) => ki.skey).sort()
  assert.deepEqual(
    inMap,
    out.map((l) => JSON.parse(l.slice(0, l.indexOf(' '))) as string),
    'the map and the ordered tree hold the same keys',
  )
  assert.equal(index.size, out.length)
  return out
}

/** The revisions the index refers to, as recordRevisions() prints them. */
function indexRevisions(index: TreeIndex): string[] {
  const out: [number, number, string][] = []
  for (const ki of index.values()) {
    const gens = ki.generations()
    for (const [gi, g] of gens.entries()) {
      for (let i = 0; i < g.revs.length; i += 2) {
        // Every generation but the current one ends with its tombstone.
        const tomb = gi < gens.length - 1 && i === g.revs.length - 2
        out.push([g.revs[i], g.revs[i + 1], `${g.revs[i]}.${g.revs[i + 1]}${tomb ? 't' : ''}`])
      }
    }
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((r) => r[2])
}

class Live {
  readonly s: StoreState
  readonly compactor: Compactor
  index = 0

  constructor(readonly backend: Backend) {
    this.s = new StoreState(backend)
    this.compactor = new Compactor(backend, 2)
  }

  batch(): StoreBatch {
    return new StoreBatch(this.s, this.compactor)
  }
}

/** One random write request: a transaction of 1-4 puts and deletes (single keys or ranges). */
function write(rng: Rng, live: Live, keys: string[]): void {
  const b = live.batch()
  const t = b.txn()
  const n = rng.range(1, 4)
  const used = new Set<string>()
  for (let i = 0; i < n; i++) {
    const key = rng.pick(keys)
    if (used.has(key)) continue // a transaction changes a key once
    used.add(key)
    if (rng.chance(0.25)) {
      if (rng.chance(0.2)) {
        // A range [key, key + '\xff'): deletes key and those that extend it, if untouched.
        const end = `${key}\xff`
        if (keys.some((x) => x !== key && x >= key && x < end && used.has(x))) continue
        for (const x of keys) if (x >= key && x < end) used.add(x)
        t.deleteRange(k(key), k(end), false)
      } else {
        t.deleteRange(k(key), Buffer.alloc(0), false)
      }
    } else {
      const lease = rng.chance(0.2) ? BigInt(rng.range(1, 3)) * 0x1000000000001n : rng.chance(0.1) ? -7n : 0n
      t.put(k(key), k(`v${rng.int(1000)}`), lease)
    }
  }
  t.end()
  b.commit({ consistentIndex: ++live.index, term: 2 })
}

async function rebuilt(backend: Backend, progress?: RestoreProgress[]): Promise<StoreState> {
  const s = new StoreState(backend)
  const job = await restoreState(s, progress && ((p) => progress.push(p)))
  if (job !== null) {
    // Finish what an interrupted compaction left, as the store does on open.
    const c = new Compactor(backend, 1000)
    c.schedule(job)
    await job.done
  }
  return s
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

type Kind = 'memory' | 'rocks'

async function withBackend(kind: Kind, fn: (b: Backend) => Promise<void>): Promise<void> {
  if (kind === 'memory') return fn(new MemoryBackend())
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsetcd-restore-'))
  const b = await RocksBackend.open(RocksBackend.dbDir(dir))
  try {
    await fn(b)
  } finally {
    await b.close()
    await fs.rm(dir, { recursive: true, force: true })
  }
}

for (const kind of ['memory', 'rocks'] as const) {
  describe(`mvcc restore: the rebuilt index equals the applied one (${kind})`, () => {
    for (const seed of kind === 'memory' ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] : [11, 12, 13, 14]) {
      it(`seed ${seed}: after random writes and compactions, and after an interrupted compaction`, async () => {
        await withBackend(kind, async (backend) => {
          const rng = new Rng(seed)
          const keys = [
            'a',
            'ab',
            'abc',
            'b',
            'b\x00',
            'c',
            'k\xff',
            '\xff',
            ...Array.from({ length: 12 }, (_, i) => `key/${i}`),
          ]
          const live = new Live(backend)
          const checkpoints = rng.range(3, 5)
          for (let cp = 0; cp < checkpoints; cp++) {
            for (let i = rng.range(20, 120); i > 0; i--) write(rng, live, keys)
            if (rng.chance(0.6) && live.s.currentRev > Math.max(1, live.s.compactRev)) {
              const b = live.batch()
              const done = b.compact(rng.range(Math.max(1, live.s.compactRev + 1), live.s.currentRev))
              b.commit({ consistentIndex: ++live.index, term: 2 })
              await done
            }
            const again = await rebuilt(backend)
            assert.deepEqual(dump(again.index), dump(live.s.index), `checkpoint ${cp}`)
            assert.deepEqual(
              [again.currentRev, again.compactRev, again.consistentIndex, again.term],
              [live.s.currentRev, live.s.compactRev, live.s.consistentIndex, live.s.term],
            )
            // Once a compaction is over, the records are exactly what the index refers to.
            assert.deepEqual(await recordRevisions(backend), indexRevisions(live.s.index))
          }
          // A compaction stopped after a random number of steps (deletes in chunks of 2).
          for (let i = rng.range(10, 40); i > 0; i--) write(rng, live, keys)
          const at = rng.range(live.s.compactRev + 1, live.s.currentRev)
          const b = live.batch()
          const done = b.compact(at)
          b.commit({ consistentIndex: ++live.index, term: 2 })
          for (let i = rng.int(12); i > 0; i--) await nextTurn()
          await live.compactor.stop()
          await done.catch(() => undefined)
          live.s.index.compact(at) // where the index is once the compaction is over
          const progress: RestoreProgress[] = []
          const again = await rebuilt(backend, progress)
          assert.deepEqual(dump(again.index), dump(live.s.index), 'after the interrupted compaction')
          assert.equal(again.compactRev, at)
          assert.deepEqual(await recordRevisions(backend), indexRevisions(live.s.index))
          const last = progress.at(-1)!
          assert.deepEqual([last.done, last.currentRevision], [true, live.s.currentRev])
        })
      })
    }
  })
}

describe('mvcc restore: the scan of the key records', () => {
  async function fill(backend: Backend, n: number): Promise<void> {
    const wb = backend.batch()
    for (let i = 0; i < n; i++) {
      const key = Buffer.from(`key/${String(i).padStart(6, '0')}`)
      wb.put(
        revKey(i + 2, 0, false),
        encodeKeyValue({ key, value: Buffer.alloc(64), create_revision: i + 2, mod_revision: i + 2, version: 1 }),
      )
    }
    wb.write()
  }

  it('stops early without leaving the database lent (a worker reads RocksDB)', async () => {
    await withBackend('rocks', async (backend) => {
      await fill(backend, 20_000)
      const [gte, lt] = bucketBounds(Bucket.Key)
      let seen = 0
      for await (const chunk of scanHeads(backend, gte, lt, 1000)) {
        seen += chunk.count
        if (seen >= 2000) break
      }
      assert.equal(seen, 2000)
      // Every chunk again, in order, complete.
      let n = 0
      let lastMain = 0
      for await (const chunk of scanHeads(backend, gte, lt, 1000)) {
        for (let i = 0; i < chunk.count; i++) {
          assert.ok(chunk.nums[i * 4] > lastMain)
          lastMain = chunk.nums[i * 4]
        }
        n += chunk.count
      }
      assert.equal(n, 20_000)
      // The backend is not lent any more: a defragmentation may start.
      await (backend as RocksBackend).defrag()
    })
  })

  it('hands out every record intact, chunk after chunk, from the worker', async () => {
    await withBackend('rocks', async (backend) => {
      // Keys whose lengths rise and fall from chunk to chunk; a lease on about a third of the
      // records, in no period, and 0 for the others.
      const n = 12_000
      const keyOf = (i: number) => Buffer.from(`${i}/`.padEnd(1 + ((i >> 9) % 7) * 9 + (i % 5), '~'))
      const leaseOf = (i: number) => (Math.imul(i, 0x9e3779b1) >>> 28 < 5 ? BigInt(i + 1) * 0x10001n : 0n)
      const wb = backend.batch()
      for (let i = 0; i < n; i++) {
        const kv = { key: keyOf(i), value: Buffer.alloc(8), create_revision: i + 1, mod_revision: i + 2, version: 3 }
        wb.put(revKey(i + 2, 0, false), encodeKeyValue({ ...kv, lease: leaseOf(i) }))
      }
      wb.write()
      const [gte, lt] = bucketBounds(Bucket.Key)
      let i = 0
      const counts: number[] = []
      for await (const chunk of scanHeads(backend, gte, lt, 500)) {
        counts.push(chunk.count)
        let keyStart = 0
        for (let r = 0; r < chunk.count; r++, i++) {
          const at = `record ${i}`
          assert.deepEqual(Array.from(chunk.nums.subarray(r * 4, r * 4 + 4)), [i + 2, 0, i + 1, 3], at)
          assert.equal(chunk.flags[r], leaseOf(i) !== 0n ? FLAG_LEASE : 0, at)
          assert.equal(chunk.leases[r], leaseOf(i), at)
          assert.equal(chunk.keys.toString('latin1', keyStart, chunk.keyEnds[r]), keyOf(i).toString('latin1'), at)
          keyStart = chunk.keyEnds[r]
        }
      }
      assert.equal(i, n)
      // Full chunks (the worker reads fewer records at a time and packs them together).
      assert.deepEqual(counts, Array(n / 500).fill(500))
    })
  })

  for (const kind of ['memory', 'rocks'] as const) {
    it(`fails on a record that does not decode, and releases the database (${kind})`, async () => {
      await withBackend(kind, async (backend) => {
        await fill(backend, 5000)
        const wb = backend.batch()
        // A key field that claims more bytes than the record has.
        wb.put(revKey(6000, 0, false), Buffer.from([0x0a, 0x7f, 0x61]))
        wb.write()
        await assert.rejects(restoreState(new StoreState(backend)), /truncated/)
        if (kind === 'rocks') await (backend as RocksBackend).defrag()
        // Other buckets are untouched and readable.
        assert.deepEqual(backend.getSync([bucketKey(Bucket.Meta, 'x')]), [undefined])
      })
    })
  }
})
