import assert from 'node:assert/strict'
import { BTreeMap } from '../../../src/server/btree/btree.js'
import { Rng } from '../../helpers/rng.js'

function keysIn(m: BTreeMap<number>, from: string, to?: string): string[] {
  const out: string[] = []
  m.scan(from, to, (k) => {
    out.push(k)
  })
  return out
}

describe('BTreeMap', () => {
  it('keeps keys in order through inserts, replacements and deletes (checked against a sorted array)', () => {
    const rng = new Rng(7)
    const m = new BTreeMap<number>()
    const ref = new Map<string, number>()
    for (let i = 0; i < 20000; i++) {
      const k = String.fromCharCode(rng.int(256), rng.int(256), rng.int(4))
      if (rng.int(3) === 0) {
        assert.equal(m.delete(k), ref.delete(k))
      } else {
        m.set(k, i)
        ref.set(k, i)
      }
    }
    const sorted = [...ref.keys()].sort()
    assert.equal(m.size, ref.size)
    assert.deepEqual(keysIn(m, ''), sorted)
    for (const k of sorted.slice(0, 200)) assert.equal(m.get(k), ref.get(k))
    assert.equal(m.get('\u00ff\u00ff\u00ff\u00ff'), undefined)
  })

  it('scans [from, to) and stops when the callback returns false', () => {
    const m = new BTreeMap<number>()
    for (let i = 0; i < 1000; i++) m.set(String(i).padStart(4, '0'), i)
    assert.deepEqual(keysIn(m, '0100', '0105'), ['0100', '0101', '0102', '0103', '0104'])
    assert.deepEqual(keysIn(m, '0998'), ['0998', '0999'])
    assert.deepEqual(keysIn(m, '05', '0500'), [])
    assert.deepEqual(keysIn(m, '0500', '0400'), [])
    const seen: number[] = []
    m.scan('0000', undefined, (_k, v) => {
      seen.push(v)
      return seen.length < 3
    })
    assert.deepEqual(seen, [0, 1, 2])
  })

  it('shrinks back to nothing when every key is deleted', () => {
    const m = new BTreeMap<number>()
    for (let i = 0; i < 5000; i++) m.set(`k${i}`, i)
    for (let i = 0; i < 5000; i += 2) m.delete(`k${i}`)
    assert.equal(m.size, 2500)
    assert.equal(keysIn(m, '').length, 2500)
    for (let i = 1; i < 5000; i += 2) m.delete(`k${i}`)
    assert.equal(m.size, 0)
    assert.deepEqual(keysIn(m, ''), [])
    m.set('again', 1)
    assert.deepEqual(keysIn(m, ''), ['again'])
  })

  it('orders latin1 strings of bytes like unsigned bytes', () => {
    const m = new BTreeMap<number>()
    const bufs = [
      Buffer.from([0xff]),
      Buffer.from([0x00]),
      Buffer.from([0x7f, 0x01]),
      Buffer.from([0x80]),
      Buffer.from([0x7f]),
    ]
    bufs.forEach((b, i) => m.set(b.toString('latin1'), i))
    const order = keysIn(m, '').map((k) => Buffer.from(k, 'latin1').toString('hex'))
    assert.deepEqual(
      order,
      [...bufs].sort(Buffer.compare).map((b) => b.toString('hex')),
    )
  })
})
