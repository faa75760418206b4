import assert from 'node:assert/strict'
import { KeyIndex, RevLookup, type RemovedRevs } from '../../../src/server/mvcc/key-index.js'

/** The example of key-index.ts: put 1, put 2, del 3, put 4, del 5, put 6, del 7. */
function example(): KeyIndex {
  const ki = new KeyIndex('k')
  ki.put(1, 0)
  ki.put(2, 0)
  ki.tombstone(3, 0)
  ki.put(4, 0)
  ki.tombstone(5, 0)
  ki.put(6, 0)
  ki.tombstone(7, 0)
  return ki
}

function at(ki: KeyIndex, rev: number): [main: number, created: number, version: number] | null {
  const l = new RevLookup()
  return ki.get(rev, l) ? [l.main, l.created, l.version] : null
}

function gens(ki: KeyIndex): number[][] {
  return ki.generations().map((g) => g.revs.filter((_, i) => i % 2 === 0))
}

describe('KeyIndex', () => {
  it('finds the revision visible at each revision across generations', () => {
    const ki = example()
    assert.deepEqual(gens(ki), [[1, 2, 3], [4, 5], [6, 7], []])
    assert.equal(at(ki, 0), null)
    assert.deepEqual(at(ki, 1), [1, 1, 1])
    assert.deepEqual(at(ki, 2), [2, 1, 2])
    assert.equal(at(ki, 3), null)
    assert.deepEqual(at(ki, 4), [4, 4, 1])
    assert.equal(at(ki, 5), null)
    assert.deepEqual(at(ki, 6), [6, 6, 1])
    assert.equal(at(ki, 7), null)
    assert.equal(at(ki, 100), null)
    assert.equal(ki.isLive(), false)
  })

  it('compacts as in the worked examples, reporting removed revisions in ascending order with tombstone marks', () => {
    const ki = example()
    const removed: RemovedRevs = []
    ki.compact(2, removed)
    assert.deepEqual(gens(ki), [[2, 3], [4, 5], [6, 7], []])
    assert.deepEqual(removed, [1, 0, 0])
    ki.compact(3, removed)
    assert.deepEqual(gens(ki), [[4, 5], [6, 7], []])
    assert.deepEqual(removed, [1, 0, 0, 2, 0, 0, 3, 0, 1])
    ki.compact(4, removed)
    assert.deepEqual(gens(ki), [[4, 5], [6, 7], []])
    assert.equal(removed.length, 9)
    ki.compact(6, removed)
    assert.deepEqual(gens(ki), [[6, 7], []])
    assert.deepEqual(removed.slice(9), [4, 0, 0, 5, 0, 1])
    assert.deepEqual(at(ki, 6), [6, 6, 1])
    assert.equal(ki.isEmpty(), false)
    ki.compact(7, removed)
    assert.deepEqual(gens(ki), [[]])
    assert.equal(ki.isEmpty(), true)
  })

  it('keeps the latest revision at or below the compaction revision of a live key', () => {
    const ki = new KeyIndex('k')
    for (let r = 1; r <= 5; r++) ki.put(r, 0)
    const removed: RemovedRevs = []
    ki.compact(3, removed)
    assert.deepEqual(gens(ki), [[3, 4, 5]])
    assert.deepEqual(at(ki, 3), [3, 1, 3])
    assert.deepEqual(at(ki, 5), [5, 1, 5])
    ki.compact(10, removed)
    assert.deepEqual(gens(ki), [[5]])
    assert.deepEqual(at(ki, 10), [5, 1, 5])
    assert.deepEqual(
      removed.filter((_, i) => i % 3 === 0),
      [1, 2, 3, 4],
    )
  })

  it('orders sub revisions within one main revision', () => {
    const ki = new KeyIndex('k')
    ki.put(5, 0)
    ki.tombstone(5, 1)
    ki.put(5, 2)
    assert.deepEqual(at(ki, 5), [5, 5, 1])
    assert.throws(() => ki.put(5, 1), /not above/)
    assert.throws(() => new KeyIndex('x').tombstone(1, 0), /tombstone on deleted key/)
  })

  it('rebuilds generations from records, starting one where earlier history was compacted', () => {
    const ki = new KeyIndex('k')
    ki.restorePut(2, 0, 1, 2) // put@1 was compacted away: version 2, created 1
    ki.restoreTombstone(3, 0)
    ki.restoreTombstone(9, 0) // not live: ignored
    ki.restorePut(4, 0, 4, 1)
    ki.restorePut(5, 0, 4, 2)
    assert.deepEqual(gens(ki), [
      [2, 3],
      [4, 5],
    ])
    assert.deepEqual(at(ki, 2), [2, 1, 2])
    assert.deepEqual(at(ki, 5), [5, 4, 2])
  })
})
