import assert from 'node:assert/strict'
import { BoltReader, buildBolt, etcdSnapshotBuckets, revisionKey } from '../../../src/bbolt/index.js'
import { copyBolt, writeRestoredMeta } from '../../../src/server/backup/from-bolt.js'
import { MemoryBackend } from '../../../src/server/backend/memory-backend.js'
import { Bucket, bucketBounds, bucketKey } from '../../../src/server/backend/buckets.js'
import { readMeta } from '../../../src/server/mvcc/meta.js'
import { readLeases } from '../../../src/server/lease/records.js'
import { MvccStore } from '../../../src/server/mvcc/store.js'

async function entries(b: MemoryBackend, bucket: number): Promise<[string, string][]> {
  const [gte, lt] = bucketBounds(bucket)
  const out: [string, string][] = []
  for await (const chunk of b.iterate(gte, lt))
    for (const [k, v] of chunk) out.push([k.toString('hex'), v.toString('hex')])
  return out
}

const rev17 = (main: number) => revisionKey(main, 0, false)

/** leasepb.Lease{ID, TTL, RemainingTTL} */
function leasepb(id: number, ttl: number, remaining = 0): Buffer {
  const b = [0x08, id, 0x10, ttl]
  if (remaining) b.push(0x18, remaining)
  return Buffer.from(b)
}

describe('backup/from-bolt: etcd buckets into the backend', () => {
  function etcdDb(): BoltReader {
    const idKey = (id: number) => {
      const k = Buffer.alloc(8)
      k.writeBigInt64BE(BigInt(id))
      return k
    }
    const buckets = etcdSnapshotBuckets({
      records: [
        { main: 2, key: 'a', value: '1' },
        { main: 3, key: 'b', value: '2', lease: 5 },
        { main: 4, key: 'a', value: '3', createRevision: 2, version: 2 },
        { main: 5, key: 'a', tombstone: true },
      ],
      consistentIndex: 77,
      buckets: {
        meta: [
          [Buffer.from('consistent_index'), Buffer.from('000000000000004d', 'hex')],
          [Buffer.from('finishedCompactRev'), rev17(3)],
          [Buffer.from('scheduledCompactRev'), rev17(4)],
        ],
        lease: [
          [idKey(5), leasepb(5, 100, 40)],
          [idKey(6), leasepb(6, 60)],
        ],
        alarm: [[Buffer.from([0x08, 0x01, 0x10, 0x01]), Buffer.alloc(0)]],
        auth: [
          [Buffer.from('authRevision'), Buffer.from('0000000000000003', 'hex')],
          [Buffer.from('enabled'), Buffer.from([1])],
        ],
        authUsers: [[Buffer.from('root'), Buffer.from('user-record')]],
        authRoles: [[Buffer.from('root'), Buffer.from('role-record')]],
        members: [[Buffer.from('1234'), Buffer.from('{"id":4660}')]],
        members_removed: [[Buffer.from('99'), Buffer.from('removed')]],
      },
    })
    return BoltReader.fromBuffer(buildBolt(buckets))
  }

  it('copies key records byte for byte behind the key prefix, and reports revisions', async () => {
    const db = etcdDb()
    const be = new MemoryBackend()
    const res = copyBolt(db, be, { batchBytes: 64 })
    assert.deepEqual(
      { last: res.lastRevision, s: res.scheduledCompact, f: res.finishedCompact, keys: res.keyRecords },
      { last: 5, s: 4, f: 3, keys: 4 },
    )
    const key = db.bucket('key')!
    const want = [...key.entries()].map((e) => [
      Buffer.concat([Buffer.from([Bucket.Key]), e.key]).toString('hex'),
      e.value.toString('hex'),
    ])
    assert.deepEqual(await entries(be, Bucket.Key), want)
  })

  it('leases keep ID, TTL and remaining TTL; alarms and auth are kept; old members are dropped', async () => {
    const be = new MemoryBackend()
    const res = copyBolt(etcdDb(), be)
    assert.equal(res.leases, 2)
    const leases = (await readLeases(be)).map((l) => [l.ID, l.TTL, l.remaining_TTL])
    assert.deepEqual(leases, [
      [5n, 100, 40],
      [6n, 60, 0],
    ])
    assert.deepEqual(await entries(be, Bucket.Alarm), [
      [bucketKey(Bucket.Alarm, Buffer.from([8, 1, 16, 1])).toString('hex'), ''],
    ])
    assert.deepEqual(
      (await entries(be, Bucket.Auth)).map(([k, v]) => [Buffer.from(k, 'hex').subarray(1).toString(), v]),
      [
        ['auth\x00authRevision', '0000000000000003'],
        ['auth\x00enabled', '01'],
        ['authRoles\x00root', Buffer.from('role-record').toString('hex')],
        ['authUsers\x00root', Buffer.from('user-record').toString('hex')],
      ],
    )
    assert.deepEqual(await entries(be, Bucket.Members), [])
  })

  it('the store opens on the copy at the snapshot revision, compacted as the snapshot was', async () => {
    const be = new MemoryBackend()
    const res = copyBolt(etcdDb(), be)
    writeRestoredMeta(be, {
      consistentIndex: 3,
      term: 1,
      currentRevision: res.lastRevision,
      scheduledCompact: res.scheduledCompact,
      finishedCompact: res.finishedCompact,
    })
    const meta = readMeta(be)
    assert.deepEqual(meta, { consistentIndex: 3, term: 1, currentRevision: 5, scheduledCompact: 4, finishedCompact: 3 })
    const store = await MvccStore.open(be)
    try {
      assert.equal(store.currentRevision, 5)
      assert.equal(store.compactRevision, 4)
      assert.deepEqual(
        store.leasedKeys().map(([k, l]) => [k.toString(), l]),
        [['b', 5n]],
      )
    } finally {
      await store.close()
    }
  })

  it('refuses a key bucket entry that is not a revision', () => {
    const db = BoltReader.fromBuffer(buildBolt([['key', [[Buffer.from('bogus'), Buffer.from('x')]]]]))
    assert.throws(() => copyBolt(db, new MemoryBackend()), /key bucket: malformed revision key 626f677573/)
  })
})
