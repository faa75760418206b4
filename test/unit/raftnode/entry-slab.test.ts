import assert from 'node:assert/strict'
import type { Entry } from '../../../src/raft/index.js'
import { EntrySlab } from '../../../src/server/raftnode/entry-slab.js'

function entries(sizes: number[], from = 1): Entry[] {
  return sizes.map((n, i) => ({
    term: 2,
    index: from + i,
    type: 'normal',
    data: Buffer.from(Array.from({ length: n }, (_, k) => (i * 7 + k) & 0xff)),
  }))
}

describe('EntrySlab: the raft log owns the data of its entries', () => {
  it('copies small entries out of the buffers they were sliced from, keeping their contents', () => {
    const big = Buffer.alloc(8192, 0x33)
    const src: Entry[] = [300, 12, 900].map((n, i) => ({
      term: 3,
      index: 10 + i,
      type: i === 1 ? 'confChange' : 'normal',
      data: big.subarray(i * 1000, i * 1000 + n),
    }))
    const packed = new EntrySlab().pack(src)
    assert.deepEqual(
      packed.map((e) => [e.term, e.index, e.type, Buffer.from(e.data).toString('hex')]),
      src.map((e) => [e.term, e.index, e.type, Buffer.from(e.data).toString('hex')]),
    )
    for (const e of packed) assert.notEqual(e.data.buffer, big.buffer, 'the 8 KiB buffer is not kept')
    big.fill(0)
    assert.ok(
      packed.every((e) => e.data.every((b) => b === 0x33)),
      'a later change of the source does not show',
    )
  })

  it('puts consecutive small entries in one chunk and starts a new one when it is full', () => {
    const slab = new EntrySlab()
    const a = slab.pack(entries(Array(100).fill(500)))
    const chunks = new Set(a.map((e) => e.data.buffer))
    assert.equal(chunks.size, 1)
    assert.equal([...chunks][0]!.byteLength, 64 * 1024)
    const b = slab.pack(entries(Array(100).fill(500), 101))
    assert.equal(new Set([...a, ...b].map((e) => e.data.buffer)).size, 2)
    assert.deepEqual(
      b.map((e) => Buffer.from(e.data)),
      entries(Array(100).fill(500), 101).map((e) => e.data),
    )
  })

  it('keeps large data that is alone in its buffer and copies a large slice to a buffer of its size', () => {
    const alone = Buffer.alloc(20000, 1)
    const slice = Buffer.alloc(100000, 2).subarray(10, 30010)
    const [x, y, z] = new EntrySlab().pack([
      { term: 1, index: 1, type: 'normal', data: alone },
      { term: 1, index: 2, type: 'normal', data: slice },
      { term: 1, index: 3, type: 'normal', data: new Uint8Array(0) },
    ])
    assert.equal(x!.data, alone)
    assert.equal(y!.data.buffer.byteLength, 30000)
    assert.ok(Buffer.from(y!.data).equals(slice))
    assert.equal(z!.data.length, 0)
  })
})
