import assert from 'node:assert/strict'
import {
  BoltReader,
  buildBolt,
  checkBolt,
  etcdSnapshotBuckets,
  freelistIds,
  snapshotStatus,
} from '../../../src/bbolt/index.js'
import { PAGE_HEADER_SIZE } from '../../../src/bbolt/page.js'

function many(n: number, size: number): [string, Buffer][] {
  return Array.from({ length: n }, (_, i) => [
    `k${String(i).padStart(6, '0')}`,
    Buffer.alloc(i % 50 === 0 ? size * 3 : 30, i),
  ])
}

describe('bbolt consistency check', () => {
  for (const pageSize of [512, 4096, 65536]) {
    it(`a written database is consistent (page size ${pageSize})`, () => {
      const db = BoltReader.fromBuffer(
        buildBolt(
          [
            ['a', many(3000, pageSize)],
            ['b', []],
            ['c', many(5, 1)],
          ],
          { pageSize },
        ),
      )
      assert.deepEqual(checkBolt(db), [])
    })
  }

  it('pages neither reachable nor free are reported, and status fails as etcd’s does', () => {
    const buf = Buffer.from(
      buildBolt(etcdSnapshotBuckets({ records: [{ main: 2, key: 'a', value: 'b' }] }), { pageSize: 512 }),
    )
    const db = BoltReader.fromBuffer(buf)
    const fl = Number(db.meta.freelist)
    const free = freelistIds(db.page(db.meta.freelist))
    assert.ok(free.length >= 2)
    buf.writeUInt16LE(0, fl * 512 + 10) // forget the free pages
    const bad = BoltReader.fromBuffer(buf)
    const expected = free.map((id) => `page ${id}: unreachable unfreed`)
    assert.deepEqual(checkBolt(bad), expected)
    assert.throws(() => snapshotStatus(bad), {
      message: `snapshot file integrity check failed. ${free.length} errors found.\n${expected.join('\n')}`,
    })
  })

  it('a page referenced twice, a reachable freed page and a double free are reported', () => {
    const entries = many(40, 10) // a branch root over a few leaves
    const buf = Buffer.from(buildBolt([['a', entries]], { pageSize: 512 }))
    const db = BoltReader.fromBuffer(buf)
    const root = Number(db.bucket('a')!.header.root)
    // The branch root's second child now points at the first child.
    const first = buf.readBigUInt64LE(root * 512 + PAGE_HEADER_SIZE + 8)
    const second = buf.readBigUInt64LE(root * 512 + PAGE_HEADER_SIZE + 16 + 8)
    buf.writeBigUInt64LE(first, root * 512 + PAGE_HEADER_SIZE + 16 + 8)
    // The freelist lists the first child, twice.
    const fl = Number(db.meta.freelist) * 512
    buf.writeUInt16LE(2, fl + 10)
    buf.writeBigUInt64LE(first, fl + PAGE_HEADER_SIZE)
    buf.writeBigUInt64LE(first, fl + PAGE_HEADER_SIZE + 8)
    assert.deepEqual(checkBolt(BoltReader.fromBuffer(buf)), [
      `page ${first}: already freed`,
      `page ${first}: reachable freed`,
      `page ${first}: multiple references`,
      `page ${first}: reachable freed`,
      `page ${second}: unreachable unfreed`,
    ])
  })
})
