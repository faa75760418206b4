import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import {
  BoltFormatError,
  BoltReader,
  SnapshotHashMismatchError,
  buildBolt,
  hasChecksum,
} from '../../../src/bbolt/index.js'
import {
  BUCKET_LEAF_FLAG,
  LEAF_PAGE,
  MAGIC,
  META_PAGE,
  PAGE_HEADER_SIZE,
  VERSION,
  writeBucketHeader,
  writeMetaPage,
  writePageHeader,
} from '../../../src/bbolt/page.js'

function withTrailer(db: Buffer): Buffer {
  return Buffer.concat([db, crypto.createHash('sha256').update(db).digest()])
}

/** Writes a leaf page of [key, value, flags] items at page `id` of `buf`. */
function leaf(buf: Buffer, pageSize: number, id: number, items: [string, Buffer, number][]): void {
  const off = id * pageSize
  writePageHeader(buf, { id: BigInt(id), flags: LEAF_PAGE, count: items.length, overflow: 0 }, off)
  let data = PAGE_HEADER_SIZE + items.length * 16
  items.forEach(([k, v, flags], i) => {
    const el = PAGE_HEADER_SIZE + i * 16
    buf.writeUInt32LE(flags, off + el)
    buf.writeUInt32LE(data - el, off + el + 4)
    buf.writeUInt32LE(k.length, off + el + 8)
    buf.writeUInt32LE(v.length, off + el + 12)
    buf.write(k, off + data)
    v.copy(buf, off + data + k.length)
    data += k.length + v.length
  })
}

/**
 * A hand-built database: root leaf at page 3 holding bucket "outer" (page 4), which holds
 * key "a" and a nested inline bucket "inner" with key "x".
 */
function handBuilt(pageSize = 4096): Buffer {
  const buf = Buffer.alloc(pageSize * 6)
  for (const txid of [4n, 5n]) {
    writeMetaPage(
      buf,
      {
        magic: MAGIC,
        version: VERSION,
        pageSize,
        flags: 0,
        root: { root: 3n, sequence: 0n },
        freelist: 2n,
        pgid: 5n,
        txid,
      },
      Number(txid % 2n) * pageSize,
    )
  }
  writePageHeader(buf, { id: 2n, flags: 0x10, count: 0, overflow: 0 }, 2 * pageSize)
  const outer = Buffer.alloc(16)
  writeBucketHeader(outer, { root: 4n, sequence: 9n })
  leaf(buf, pageSize, 3, [['outer', outer, BUCKET_LEAF_FLAG]])
  const innerPage = Buffer.alloc(4 * pageSize)
  leaf(innerPage, pageSize, 0, [['x', Buffer.from('y'), 0]])
  const inner = Buffer.concat([Buffer.alloc(16), innerPage.subarray(0, PAGE_HEADER_SIZE + 16 + 2)])
  leaf(buf, pageSize, 4, [
    ['a', Buffer.from('1'), 0],
    ['inner', inner, BUCKET_LEAF_FLAG],
  ])
  return buf.subarray(0, 5 * pageSize)
}

describe('bbolt reader', () => {
  it('reads a hand-built database with a nested inline bucket', () => {
    const db = BoltReader.fromBuffer(handBuilt())
    assert.equal(db.meta.txid, 5n)
    assert.equal(db.metaPage, 1)
    const outer = db.bucket('outer')!
    assert.equal(outer.header.sequence, 9n)
    const entries = [...outer.entries()]
    assert.deepEqual(
      entries.map((e) => [e.key.toString(), e.bucket]),
      [
        ['a', false],
        ['inner', true],
      ],
    )
    assert.equal(outer.get('a')!.toString(), '1')
    assert.equal(outer.get('inner'), undefined, 'a bucket is not a value')
    assert.deepEqual(
      [...outer.bucket('inner')!.entries()].map((e) => [e.key.toString(), e.value.toString()]),
      [['x', 'y']],
    )
  })

  it('uses the other meta when the newer one is corrupt', () => {
    const buf = Buffer.from(handBuilt())
    buf[4096 + PAGE_HEADER_SIZE + 50] ^= 0xff // meta page 1's txid: checksum no longer matches
    const db = BoltReader.fromBuffer(buf)
    assert.equal(db.metaPage, 0)
    assert.equal(db.meta.txid, 4n)
  })

  it('finds meta page 1 at a page size other than 4096 when meta page 0 is corrupt', () => {
    const buf = Buffer.from(handBuilt(1024))
    buf[PAGE_HEADER_SIZE] ^= 0xff // meta page 0's magic
    const db = BoltReader.fromBuffer(buf)
    assert.equal(db.pageSize, 1024)
    assert.equal(db.metaPage, 1)
    assert.equal(db.bucket('outer')!.get('a')!.toString(), '1')
  })

  it('both metas invalid is a clear error naming each problem', () => {
    const buf = Buffer.from(handBuilt())
    buf[PAGE_HEADER_SIZE] ^= 0xff
    buf[4096 + PAGE_HEADER_SIZE + 4] = 7 // version
    assert.throws(
      () => BoltReader.fromBuffer(buf),
      (err: Error) =>
        err instanceof BoltFormatError &&
        err.message ===
          'bbolt: invalid database: both meta pages are invalid (meta page 0: invalid database; meta page 1: version mismatch)',
    )
    assert.throws(
      () => BoltReader.fromBuffer(Buffer.alloc(8192)),
      /both meta pages are invalid \(meta page 0: invalid database; meta page 1: invalid database\)/,
    )
  })

  it('a short or torn file is a clear error', () => {
    assert.throws(() => BoltReader.fromBuffer(Buffer.alloc(100)), /file size too small \(100 bytes\)/)
    const full = buildBolt([
      [
        'b',
        Array.from({ length: 2000 }, (_, i) => [`k${String(i).padStart(5, '0')}`, 'v'.repeat(50)] as [string, string]),
      ],
    ])
    const torn = full.subarray(0, full.length - 4096)
    assert.throws(
      () => BoltReader.fromBuffer(torn),
      (err: Error) =>
        err instanceof BoltFormatError &&
        /file is truncated: meta page 1 \(txid 1\) spans \d+ pages of 4096 bytes/.test(err.message),
    )
    // A page whose header is not its own id (a torn or misplaced write).
    const bad = Buffer.from(full)
    const db = BoltReader.fromBuffer(full)
    const leafId = Number(db.bucket('b')!.header.root)
    bad.writeBigUInt64LE(999n, leafId * 4096)
    assert.throws(() => [...BoltReader.fromBuffer(bad).bucket('b')!.entries()], /header says page 999/)
  })

  it('checks the sha256 trailer of a snapshot file; a mismatch is etcd’s error', () => {
    const db = buildBolt([['b', [['k', 'v']]]])
    const snap = withTrailer(db)
    assert.ok(hasChecksum(snap.length))
    const r = BoltReader.fromBuffer(snap)
    assert.deepEqual(r.trailer, snap.subarray(db.length))
    assert.equal(r.dataSize, db.length)
    assert.equal(r.bucket('b')!.get('k')!.toString(), 'v')

    const bad = Buffer.from(snap)
    bad[bad.length - 1] ^= 1
    const expected = bad.subarray(db.length)
    const actual = snap.subarray(db.length)
    assert.throws(
      () => BoltReader.fromBuffer(bad),
      (err: Error) =>
        err instanceof SnapshotHashMismatchError &&
        err.message === `expected sha256 [${[...expected].join(' ')}], got [${[...actual].join(' ')}]`,
    )
    // Opt out, as --skip-hash-check does.
    assert.equal(BoltReader.fromBuffer(bad, { verifyTrailer: false }).bucket('b')!.get('k')!.toString(), 'v')
  })

  it('a page of an unknown type inside a tree is an error', () => {
    const buf = Buffer.from(handBuilt())
    buf.writeUInt16LE(META_PAGE, 4 * 4096 + 8)
    assert.throws(
      () => [...BoltReader.fromBuffer(buf).bucket('outer')!.entries()],
      /page 4: expected a branch or leaf page, found meta/,
    )
  })
})
