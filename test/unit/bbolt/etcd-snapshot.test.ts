import assert from 'node:assert/strict'
import {
  BoltReader,
  buildBolt,
  decodeKeyValue,
  etcdSnapshotBuckets,
  parseRevisionKey,
  snapshotStatus,
  ETCD_BUCKETS,
} from '../../../src/bbolt/index.js'
import { Crc32c } from '../../../src/bbolt/crc32c.js'

describe('etcd snapshot facts', () => {
  const input = {
    records: [
      { main: 2, key: 'k1', value: 'v1' },
      { main: 3, key: 'k2', value: 'v2' },
      { main: 4, key: 'k1', value: 'v1b', createRevision: 2, version: 2 },
      { main: 5, key: 'k2', tombstone: true },
    ],
    consistentIndex: 12,
  }

  it('lays out etcd’s buckets and the key bucket’s revision records', () => {
    const db = BoltReader.fromBuffer(buildBolt(etcdSnapshotBuckets(input)))
    assert.deepEqual(db.bucketNames().map(String), [...ETCD_BUCKETS])
    const recs = [...db.bucket('key')!.entries()].map((e) => ({
      rev: parseRevisionKey(e.key),
      kv: decodeKeyValue(e.value),
    }))
    assert.deepEqual(
      recs.map((r) => [
        r.rev.main,
        r.rev.tombstone,
        r.kv.key.toString(),
        r.kv.value.toString(),
        r.kv.createRevision,
        r.kv.modRevision,
        r.kv.version,
      ]),
      [
        [2n, false, 'k1', 'v1', 2n, 2n, 1n],
        [3n, false, 'k2', 'v2', 3n, 3n, 1n],
        [4n, false, 'k1', 'v1b', 2n, 4n, 2n],
        [5n, true, 'k2', '', 0n, 0n, 0n],
      ],
    )
    assert.equal(db.bucket('meta')!.get('consistent_index')!.readBigUInt64BE(), 12n)
  })

  it('status: CRC-32C over names, keys and values; last main revision; entry count; bbolt size', () => {
    const db = BoltReader.fromBuffer(buildBolt(etcdSnapshotBuckets(input)))
    const s = snapshotStatus(db)
    const h = new Crc32c()
    let n = 0
    for (const name of db.bucketNames()) {
      h.update(name)
      for (const e of db.bucket(name)!.entries()) {
        h.update(e.key).update(e.value)
        n++
      }
    }
    assert.deepEqual(s, { hash: h.digest(), revision: 5, totalKey: n, totalSize: Number(db.meta.pgid) * 4096 })
    assert.equal(n, 4 + 1 + 1 + 1)
  })
})
