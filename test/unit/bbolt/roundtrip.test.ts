import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BoltReader, buildBolt, checkBolt, writeBolt, type KeyValue } from '../../../src/bbolt/index.js'
import { readPageHeader, BRANCH_PAGE, LEAF_PAGE, FREELIST_PAGE, PAGE_HEADER_SIZE } from '../../../src/bbolt/page.js'

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function sortedEntries(n: number, seed: number, bigEvery = 0, bigSize = 0): [Buffer, Buffer][] {
  const r = rng(seed)
  const map = new Map<string, Buffer>()
  for (let i = 0; map.size < n; i++) {
    const key = Buffer.from(`k${Math.floor(r() * 1e9).toString(36)}-${i}`)
    const size = bigEvery && i % bigEvery === 0 ? bigSize : Math.floor(r() * 64)
    const value = Buffer.alloc(size)
    for (let j = 0; j < size; j++) value[j] = (i * 31 + j) & 0xff
    map.set(key.toString('hex'), value)
  }
  return [...map.entries()]
    .map(([k, v]) => [Buffer.from(k, 'hex'), v] as [Buffer, Buffer])
    .sort((a, b) => Buffer.compare(a[0], b[0]))
}

function readAll(db: BoltReader, name: string): [Buffer, Buffer][] {
  const b = db.bucket(name)
  assert.ok(b, `bucket ${name}`)
  return [...b.entries()].map((e) => [Buffer.from(e.key), Buffer.from(e.value)])
}

/** Depth of a bucket's tree (1 = a single leaf). */
function depth(db: BoltReader, id: bigint): number {
  const p = db.page(id)
  const h = readPageHeader(p)
  if (h.flags & LEAF_PAGE) return 1
  assert.ok(h.flags & BRANCH_PAGE)
  const first = p.readBigUInt64LE(PAGE_HEADER_SIZE + 8)
  return 1 + depth(db, first)
}

describe('bbolt writer → reader round trips', function () {
  this.timeout(60000)

  for (const pageSize of [512, 1024, 4096, 16384, 65536]) {
    it(`many keys with overflow values at page size ${pageSize}`, () => {
      const a = sortedEntries(3000, pageSize, 97, pageSize * 3 + 17)
      const b = sortedEntries(10, pageSize + 1)
      const buf = buildBolt(
        [
          ['alpha', a],
          ['beta', b],
          ['empty', []],
        ],
        { pageSize },
      )
      assert.equal(buf.length % pageSize, 0)
      const db = BoltReader.fromBuffer(buf)
      assert.equal(db.pageSize, pageSize)
      assert.deepEqual(db.bucketNames().map(String), ['alpha', 'beta', 'empty'])
      assert.deepEqual(readAll(db, 'alpha'), a)
      assert.deepEqual(readAll(db, 'beta'), b)
      assert.deepEqual(readAll(db, 'empty'), [])
      for (const [k, v] of a.filter((_, i) => i % 37 === 0)) assert.deepEqual(db.bucket('alpha')!.get(k), v)
      assert.equal(db.bucket('alpha')!.get('not-there'), undefined)
      assert.equal(db.bucket('nope'), undefined)
      assert.equal(db.meta.txid, 1n)
      assert.equal(db.metaPage, 1)
      // The small bucket is stored inline, as bbolt stores it.
      assert.equal(db.bucket('empty')!.header.root, 0n)
      assert.deepEqual(checkBolt(db), [])
    })
  }

  it('builds deep trees on small pages', () => {
    const entries = sortedEntries(20000, 7)
    const buf = buildBolt([['deep', entries]], { pageSize: 512, fillPercent: 0.5 })
    const db = BoltReader.fromBuffer(buf)
    const root = db.bucket('deep')!.header.root
    assert.ok(depth(db, root) >= 4, `depth ${depth(db, root)}`)
    assert.deepEqual(checkBolt(db), [])
    assert.deepEqual(readAll(db, 'deep'), entries)
    for (const [k, v] of entries.filter((_, i) => i % 101 === 0)) assert.deepEqual(db.bucket('deep')!.get(k), v)
  })

  it('fills leaves to the fill percent', () => {
    const entries = Array.from(
      { length: 1000 },
      (_, i) => [Buffer.from(`key-${String(i).padStart(6, '0')}`), Buffer.alloc(40, 7)] as [Buffer, Buffer],
    )
    const full = BoltReader.fromBuffer(buildBolt([['b', entries]], { fillPercent: 1 }))
    const half = BoltReader.fromBuffer(buildBolt([['b', entries]], { fillPercent: 0.5 }))
    assert.ok(half.meta.pgid > full.meta.pgid + 5n, `${half.meta.pgid} vs ${full.meta.pgid}`)
    // 1000 elements of 16 + 10 + 40 bytes: 66000 bytes over 4080 usable bytes a page: 17 leaves at 100%.
    assert.ok(full.meta.pgid <= 17n + 1n + 1n + 1n + 2n, `${full.meta.pgid}`)
  })

  it('a value larger than many pages is one leaf with overflow pages', () => {
    const big = Buffer.alloc(1 << 20, 0xab)
    const db = BoltReader.fromBuffer(
      buildBolt([
        [
          'b',
          [
            ['big', big],
            ['small', 'x'],
          ],
        ],
      ]),
    )
    assert.deepEqual(db.bucket('b')!.get('big'), big)
    assert.deepEqual(db.bucket('b')!.get('small'), Buffer.from('x'))
  })

  it('an empty database has the root leaf, an empty freelist and is at least 4 KiB', () => {
    const buf = buildBolt([], { pageSize: 512 })
    assert.equal(buf.length, 4096)
    const db = BoltReader.fromBuffer(buf)
    assert.deepEqual(db.bucketNames(), [])
    const fl = readPageHeader(db.page(db.meta.freelist))
    assert.equal(fl.flags, FREELIST_PAGE)
    // The padding pages are free pages, listed in the freelist.
    assert.equal(BigInt(fl.count) + 4n, db.meta.pgid)
  })

  it('writes the same bytes to a file as in memory, and reads them back with positioned reads', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bbolt-'))
    try {
      const entries = sortedEntries(5000, 3, 500, 9000)
      const file = path.join(dir, 'db')
      const res = writeBolt(file, [['x', entries]], { txid: 10 })
      const bytes = fs.readFileSync(file)
      assert.equal(bytes.length, res.size)
      assert.deepEqual(bytes, buildBolt([['x', entries]], { txid: 10 }))
      const db = BoltReader.open(file, { cacheBytes: 65536 })
      try {
        assert.equal(db.meta.txid, 10n)
        assert.equal(db.metaPage, 0)
        assert.deepEqual(readAll(db, 'x'), entries)
      } finally {
        db.close()
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('streams its input: a generator of entries is consumed once', () => {
    function* gen(): Generator<KeyValue> {
      for (let i = 0; i < 50000; i++) yield [`k${String(i).padStart(8, '0')}`, `v${i}`]
    }
    const db = BoltReader.fromBuffer(buildBolt([['g', gen()]]))
    let n = 0
    for (const e of db.bucket('g')!.entries()) {
      assert.equal(e.key.toString(), `k${String(n).padStart(8, '0')}`)
      n++
    }
    assert.equal(n, 50000)
  })

  it('copies what it is given: the caller may reuse one buffer for every entry', () => {
    const k = Buffer.alloc(8)
    const v = Buffer.alloc(100)
    function* reused(): Generator<KeyValue> {
      for (let i = 0; i < 3000; i++) {
        k.writeBigUInt64BE(BigInt(i))
        v.fill(i & 0xff)
        yield [k, v]
      }
    }
    const entries = [
      ...BoltReader.fromBuffer(buildBolt([['r', reused()]]))
        .bucket('r')!
        .entries(),
    ]
    assert.equal(entries.length, 3000)
    entries.forEach((e, i) => {
      assert.equal(e.key.readBigUInt64BE(), BigInt(i))
      assert.deepEqual(e.value, Buffer.alloc(100, i & 0xff))
    })
  })

  it('refuses unsorted or duplicate keys, empty keys and duplicate bucket names', () => {
    assert.throws(
      () =>
        buildBolt([
          [
            'b',
            [
              ['b', '1'],
              ['a', '2'],
            ],
          ],
        ]),
      /keys out of order/,
    )
    assert.throws(
      () =>
        buildBolt([
          [
            'b',
            [
              ['a', '1'],
              ['a', '2'],
            ],
          ],
        ]),
      /keys out of order/,
    )
    assert.throws(() => buildBolt([['b', [['', '1']]]]), /empty key/)
    assert.throws(
      () =>
        buildBolt([
          ['b', []],
          ['b', []],
        ]),
      /given twice/,
    )
    assert.throws(() => buildBolt([], { pageSize: 1000 }), /page size 1000/)
  })
})
