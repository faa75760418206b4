import assert from 'node:assert/strict'
import type { RemovedRevs } from '../../../src/server/mvcc/key-index.js'
import { TreeIndex } from '../../../src/server/mvcc/tree-index.js'
import { Rng } from '../../helpers/rng.js'

/** Every key the ordered tree holds, with its generations. */
function dump(index: TreeIndex): unknown[] {
  const out: unknown[] = []
  index.scan('', undefined, (ki) => {
    out.push([ki.skey, ki.generations().map((g) => [g.created, g.ver, [...g.revs]]), ki.lease])
    // The current generation's revisions are held in an array exactly when there are two or more.
    assert.equal(ki.revs !== null, ki.currentRevs().length >= 4, `revisions of ${ki.skey}`)
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
        if (ki?.isLive() === true) t.tombstone(ki, main, sub)
      } else {
        t.put(t.getOrCreate(key), main, sub)
      }
    }
  }
}

describe('mvcc tree index: compaction in slices', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`ends where a one-shot compaction of every key ends, with writes between slices (seed ${seed})`, () => {
      const rng = new Rng(seed)
      // Many keys written once (nothing to compact), a few written over and over.
      const keys = Array.from({ length: 40 }, (_, i) => `k${i % 10}${'\xff'.repeat(i % 3)}`)
      const once = Array.from({ length: 200 }, (_, i) => `once${i}`)
      // Visits every key, not only those with history.
      const everyKey = new TreeIndex()
      const sliced = new TreeIndex()
      let main = 1
      let compacted = 0
      for (let round = 0; round < 8; round++) {
        for (let i = 0; i < rng.range(20, 200); i++) {
          if (rng.chance(0.3)) {
            const key = once.pop()
            if (key !== undefined) {
              main++
              for (const t of [everyKey, sliced]) t.put(t.getOrCreate(key), main, 0)
              continue
            }
          }
          write(rng, keys, ++main, [everyKey, sliced])
        }
        const at = rng.range(compacted + 1, main)
        compacted = at
        const a: RemovedRevs = []
        everyKey.compactSlice(everyKey.values(), at, a, Infinity)
        const b: RemovedRevs = []
        const it = sliced.historyKeys()
        const budget = rng.range(1, 7)
        // Writes after the compaction request land between slices on one side, after the
        // compaction on the other.
        while (!sliced.compactSlice(it, at, b, budget)) {
          if (rng.chance(0.5)) write(rng, keys, ++main, [everyKey, sliced])
        }
        assert.deepEqual(revs(b), revs(a), `removed at ${at}`)
        assert.deepEqual(dump(sliced), dump(everyKey), `index after compacting at ${at}`)
      }
    })
  }

  it('visits only the keys with history: a key written once, twice, deleted, re-created', () => {
    const t = new TreeIndex()
    const visited = () => [...t.historyKeys()].map((ki) => ki.skey).sort()
    t.put(t.getOrCreate('a'), 2, 0)
    t.put(t.getOrCreate('b'), 3, 0)
    assert.deepEqual(visited(), [])
    t.put(t.get('b')!, 4, 0)
    assert.deepEqual(visited(), ['b'])
    t.tombstone(t.get('a')!, 5, 0)
    assert.deepEqual(visited(), ['a', 'b'])
    // b keeps one revision after compacting at 4; a is gone after compacting at 5.
    assert.deepEqual(revs(t.compact(5)), ['2.0', '3.0', '5.0t'])
    assert.deepEqual(visited(), [])
    assert.equal(t.get('a'), undefined)
    t.put(t.getOrCreate('a'), 6, 0)
    assert.deepEqual(visited(), [])
    t.tombstone(t.get('a')!, 7, 0)
    t.put(t.get('a')!, 8, 0)
    assert.deepEqual(visited(), ['a'])
    // Compacting at 7 drops the ended generation; the new one has one revision.
    assert.deepEqual(revs(t.compact(7)), ['6.0', '7.0t'])
    assert.deepEqual(visited(), [])
    assert.equal(t.get('a')!.lastMain, 8)
  })

  it('after a bulk load (restore), the keys with history are those to visit', () => {
    const t = new TreeIndex()
    t.beginLoad()
    t.getOrCreate('one').restorePut(2, 0, 2, 1)
    const two = t.getOrCreate('two')
    two.restorePut(3, 0, 3, 1)
    two.restorePut(4, 0, 3, 2)
    const gone = t.getOrCreate('gone')
    gone.restorePut(5, 0, 5, 1)
    gone.restoreTombstone(6, 0)
    t.endLoad()
    assert.deepEqual([...t.historyKeys()].map((ki) => ki.skey).sort(), ['gone', 'two'])
    assert.deepEqual(revs(t.compact(6)), ['3.0', '5.0', '6.0t'])
    assert.deepEqual(
      dump(t).map((k) => (k as unknown[])[0]),
      ['one', 'two'],
    )
  })
})
