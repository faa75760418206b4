import assert from 'node:assert/strict'
import type { RemovedRevs } from '../../../src/server/mvcc/key-index.js'
import { TreeIndex } from '../../../src/server/mvcc/tree-index.js'
import { Rng } from '../../helpers/rng.js'

/** Every key the ordered tree holds, with its generations. */
function dump(index: TreeIndex): unknown[] {
  const out: unknown[] = []
  index.scan('', undefined, (ki) => {
    out.push([ki.skey, ki.generations().map((g) => [g.created, g.ver, [...g.revs]]), ki.lease])
  })
  assert.equal(out.length, index.size, 'map and tree hold the same keys')
  return out
}

/** Removed revisions as sorted "main.sub[t]" strings. */
function revs(removed: RemovedRevs): string[] {
  const out: string[] = []
  for (let i = 0; i < removed.length; i += 3) out.push(`${removed[i]}.${removed[i + 1]}${removed[i + 2] ? 't' : ''}`)
  return out.sort()
}

/** Applies one random write transaction at `main` to both indexes. */
function write(rng: Rng, keys: string[], main: number, targets: TreeIndex[]): void {
  const n = rng.range(1, 3)
  const used = new Set<string>()
  for (let sub = 0; sub < n; sub++) {
    const key = rng.pick(keys)
    if (used.has(key)) continue
    used.add(key)
    const del = rng.chance(0.3)
    for (const t of targets) {
      const ki = t.get(key)
      if (del) {
        if (ki?.isLive() === true) ki.tombstone(main, sub)
      } else {
        t.getOrCreate(key).put(main, sub)
      }
    }
  }
}

describe('mvcc tree index: compaction in slices', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`ends where a one-shot compaction ends, with writes between slices (seed ${seed})`, () => {
      const rng = new Rng(seed)
      const keys = Array.from({ length: 40 }, (_, i) => `k${i % 10}${'\xff'.repeat(i % 3)}`)
      const oneShot = new TreeIndex()
      const sliced = new TreeIndex()
      let main = 1
      let compacted = 0
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < rng.range(20, 200); i++) write(rng, keys, ++main, [oneShot, sliced])
        const at = rng.range(compacted + 1, main)
        compacted = at
        const a = oneShot.compact(at)
        const b: RemovedRevs = []
        const it = sliced.values()
        const budget = rng.range(1, 7)
        // Writes after the compaction request land between slices on one side, after the
        // compaction on the other.
        while (!sliced.compactSlice(it, at, b, budget)) {
          if (rng.chance(0.5)) write(rng, keys, ++main, [oneShot, sliced])
        }
        assert.deepEqual(revs(b), revs(a), `removed at ${at}`)
        assert.deepEqual(dump(sliced), dump(oneShot), `index after compacting at ${at}`)
      }
    })
  }
})
