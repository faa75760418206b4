import assert from 'node:assert/strict'
import { IntervalIndex } from '../../../src/server/watch/interval-index.js'
import { KeyRange } from '../../../src/server/watch/key-range.js'
import { WatcherGroup } from '../../../src/server/watch/watcher-group.js'
import type { Watcher } from '../../../src/server/watch/watcher.js'
import { Rng } from '../../helpers/rng.js'

/** The model: a list of intervals in insertion order, each tested against the key. */
class Linear {
  items: { id: number; lo: string; hi: string | null }[] = []

  add(id: number, lo: string, hi: string | null): boolean {
    if (this.items.some((i) => i.id === id)) return false
    this.items.push({ id, lo, hi })
    return true
  }

  delete(id: number): boolean {
    const at = this.items.findIndex((i) => i.id === id)
    if (at < 0) return false
    this.items.splice(at, 1)
    return true
  }

  containing(key: string): number[] {
    return this.items.filter((i) => key >= i.lo && (i.hi === null || key < i.hi)).map((i) => i.id)
  }
}

/** Short keys over a small alphabet (with \0 and \xff) so that intervals overlap a lot. */
function randomKey(rng: Rng): string {
  const alphabet = '\0ab\xffc'
  let s = ''
  const n = rng.range(0, 3)
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)]
  return s
}

function randomInterval(rng: Rng): [string, string | null] {
  if (rng.chance(0.15)) return [randomKey(rng), null]
  for (;;) {
    const a = randomKey(rng)
    const b = rng.chance(0.5) ? a + '\xff' : randomKey(rng)
    if (a < b) return [a, b]
    if (b < a) return [b, a]
  }
}

describe('watch interval index: range watchers matched by key', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`matches what a linear scan matches, in insertion order, through random adds and deletes (seed ${seed})`, () => {
      const rng = new Rng(seed)
      const index = new IntervalIndex<number>()
      const model = new Linear()
      let nextId = 0
      for (let step = 0; step < 3000; step++) {
        const r = rng.next()
        if (r < 0.45) {
          const [lo, hi] = randomInterval(rng)
          const id = nextId++
          assert.equal(index.add(id, lo, hi), model.add(id, lo, hi))
        } else if (r < 0.5 && model.items.length > 0) {
          // Adding again what is in changes nothing.
          const it = rng.pick(model.items)
          assert.equal(index.add(it.id, it.lo, it.hi), false)
        } else if (r < 0.75) {
          const id = model.items.length > 0 && rng.chance(0.9) ? rng.pick(model.items).id : nextId + 5
          assert.equal(index.delete(id), model.delete(id))
        } else {
          const key = randomKey(rng)
          const got: number[] = []
          index.forEachContaining(key, (id) => got.push(id))
          assert.deepEqual(got, model.containing(key), `key ${JSON.stringify(key)} at step ${step}`)
        }
        assert.equal(index.size, model.items.length)
      }
      // Everything removed leaves nothing to match.
      for (const it of [...model.items]) assert.equal(index.delete(it.id), true)
      let any = false
      index.forEachContaining('a', () => (any = true))
      assert.equal(any, false)
    })
  }

  it('a watcher group calls single-key watchers first, then range watchers in the order they were added', () => {
    const g = new WatcherGroup()
    const w = (id: number, key: string, end: string): Watcher =>
      ({ id, range: KeyRange.fromRequest(Buffer.from(key, 'latin1'), Buffer.from(end, 'latin1'))! }) as Watcher
    const ws = [w(1, 'a', '\0'), w(2, 'b', 'c'), w(3, 'b', ''), w(4, 'a', 'z'), w(5, 'c', 'd')]
    for (const x of ws) g.add(x)
    const seen = (key: string): number[] => {
      const out: number[] = []
      g.forEachWatching(key, (x) => out.push(x.id))
      return out
    }
    assert.deepEqual(seen('b'), [3, 1, 2, 4])
    assert.deepEqual(seen('c'), [1, 4, 5])
    assert.equal(g.delete(ws[0]), true)
    g.add(ws[0])
    assert.deepEqual(seen('b'), [3, 2, 4, 1])
    assert.equal(g.size, 5)
  })
})
