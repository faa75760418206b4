import assert from 'node:assert/strict'
import {
  RevKeyScratch,
  isTombstoneKey,
  revKey,
  revKeyMain,
  revKeySub,
  REV_KEY_LEN,
  TOMBSTONE_KEY_LEN,
} from '../../../src/server/mvcc/revision.js'

describe('revision keys', () => {
  it('encode bucket, 8-byte big-endian main, "_", 8-byte big-endian sub and an optional "t"', () => {
    const k = revKey(0x0102030405, 7, false)
    assert.equal(k.length, REV_KEY_LEN)
    assert.equal(k.toString('hex'), '01' + '0000000102030405' + '5f' + '0000000000000007')
    const t = revKey(1, 0, true)
    assert.equal(t.length, TOMBSTONE_KEY_LEN)
    assert.equal(t[18], 't'.charCodeAt(0))
    assert.equal(isTombstoneKey(t), true)
    assert.equal(isTombstoneKey(k), false)
  })

  it('round-trip revisions up to 2^53 and sort like (main, sub)', () => {
    const revs: [number, number][] = [
      [1, 0],
      [1, 1],
      [2, 0],
      [255, 3],
      [256, 0],
      [2 ** 32 - 1, 5],
      [2 ** 32, 0],
      [2 ** 53 - 1, 2 ** 40],
    ]
    for (const [m, s] of revs) {
      const k = revKey(m, s, false)
      assert.equal(revKeyMain(k), m)
      assert.equal(revKeySub(k), s)
    }
    const shuffled = [...revs].reverse().map(([m, s]) => revKey(m, s, false))
    shuffled.sort(Buffer.compare)
    assert.deepEqual(
      shuffled.map((k) => [revKeyMain(k), revKeySub(k)]),
      revs,
    )
  })

  it('reuses one buffer in the scratch encoder', () => {
    const sc = new RevKeyScratch()
    const a = sc.key(3, 1, false)
    assert.deepEqual(a, revKey(3, 1, false))
    const b = sc.key(4, 0, true)
    assert.deepEqual(b, revKey(4, 0, true))
    assert.equal(a.buffer, b.buffer)
  })
})
