import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { BoltReader, checkBolt, decodeKeyValue, revisionKey, snapshotStatusOfFile } from '../../../src/bbolt/index.js'
import type { Backend } from '../../../src/server/backend/backend.js'
import { Bucket, authRecordKey, bucketBounds, bucketKey } from '../../../src/server/backend/buckets.js'
import { copyBolt } from '../../../src/server/backup/from-bolt.js'
import { AlarmType, encodeAlarmMember } from '../../../src/gen/etcdserverpb.js'
import { MemoryBackend } from '../../../src/server/backend/memory-backend.js'
import { RocksBackend } from '../../../src/server/backend/rocks-backend.js'
import { backendToBolt, encodeLease, etcdMemberJson } from '../../../src/server/backup/to-bolt.js'
import { encodeKeyValue } from '../../../src/gen/mvccpb.js'
import { encodeLeaseRecord } from '../../../src/gen/tsetcdpb.js'
import { encodeMember } from '../../../src/server/membership/member.js'
import { MetaKey, encodeMetaNumber } from '../../../src/server/mvcc/meta.js'

function recKey(main: number, sub = 0, tombstone = false): Buffer {
  return bucketKey(Bucket.Key, revisionKey(main, sub, tombstone))
}

function put(b: Backend, entries: [Buffer, Buffer][]): void {
  const wb = b.batch()
  for (const [k, v] of entries) wb.put(k, v)
  wb.write()
}

function bucketEntries(db: BoltReader, name: string): [string, string][] {
  return [...db.bucket(name)!.entries()].map((e) => [e.key.toString('hex'), e.value.toString('hex')])
}

const hex = (b: Buffer | string) => Buffer.from(b).toString('hex')

describe('backup: our backend as etcd’s bbolt database', () => {
  let dir: string
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsetcd-tobolt-'))
  })
  afterEach(() => fs.rm(dir, { recursive: true, force: true }))

  it('writes every bucket with etcd 3.4’s keys and encodings', async () => {
    const b = new MemoryBackend()
    const kv2 = encodeKeyValue({
      key: Buffer.from('a'),
      value: Buffer.from('1'),
      create_revision: 2,
      mod_revision: 2,
      version: 1,
    })
    const kv3 = encodeKeyValue({ key: Buffer.from('a'), mod_revision: 3 })
    const kv4 = encodeKeyValue({
      key: Buffer.from('b'),
      value: Buffer.from('2'),
      create_revision: 4,
      mod_revision: 4,
      version: 1,
      lease: 0x1234n,
    })
    const member = {
      id: 0xabcdef0123456789n,
      name: 'm<1>',
      peerURLs: ['http://127.0.0.1:2380'],
      clientURLs: [],
      isLearner: true,
    }
    const member2 = {
      id: 0x10n,
      name: '',
      peerURLs: ['http://b:2380'],
      clientURLs: ['http://b:2379'],
      isLearner: false,
    }
    put(b, [
      [recKey(2), kv2],
      [recKey(3, 0, true), kv3],
      [recKey(4), kv4],
      [MetaKey.consistentIndex, encodeMetaNumber(42)],
      [MetaKey.term, encodeMetaNumber(3)],
      [MetaKey.currentRevision, encodeMetaNumber(4)],
      [MetaKey.scheduledCompact, encodeMetaNumber(3)],
      [MetaKey.finishedCompact, encodeMetaNumber(3)],
      [
        bucketKey(Bucket.Lease, Buffer.from('0000000000001234', 'hex')),
        encodeLeaseRecord({ ID: 0x1234n, TTL: 60, remaining_TTL: 0 }),
      ],
      [bucketKey(Bucket.Members, 'm' + member.id.toString(16).padStart(16, '0')), encodeMember(member)],
      [bucketKey(Bucket.Members, 'm' + member2.id.toString(16).padStart(16, '0')), encodeMember(member2)],
      [bucketKey(Bucket.Members, 'r' + 5n.toString(16).padStart(16, '0')), Buffer.alloc(0)],
      [bucketKey(Bucket.Members, 'x' + 9n.toString(16).padStart(16, '0')), Buffer.alloc(0)],
    ])
    const file = path.join(dir, 'db')
    const res = await backendToBolt(b, file, { pageSize: 4096 })
    assert.equal(res.revision, 4)
    assert.equal(res.consistentIndex, 42)

    const db = BoltReader.open(file, { verifyTrailer: false })
    try {
      assert.deepEqual(checkBolt(db), [])
      assert.deepEqual(
        [...db.root().entries()].map((e) => e.key.toString()),
        ['alarm', 'auth', 'authRoles', 'authUsers', 'cluster', 'key', 'lease', 'members', 'members_removed', 'meta'],
      )
      assert.deepEqual(bucketEntries(db, 'key'), [
        [hex(revisionKey(2)), hex(kv2)],
        // a tombstone holds only its key, as etcd writes it
        [hex(revisionKey(3, 0, true)), hex(encodeKeyValue({ key: Buffer.from('a') }))],
        [hex(revisionKey(4)), hex(kv4)],
      ])
      assert.equal(decodeKeyValue(db.bucket('key')!.get(revisionKey(4))!).lease, 0x1234n)
      assert.deepEqual(bucketEntries(db, 'meta'), [
        [hex('consistent_index'), '000000000000002a'],
        [hex('finishedCompactRev'), hex(revisionKey(3))],
        [hex('scheduledCompactRev'), hex(revisionKey(3))],
      ])
      // leasepb.Lease{ID: 0x1234, TTL: 60}
      assert.deepEqual(bucketEntries(db, 'lease'), [['0000000000001234', '08b424103c']])
      assert.deepEqual(bucketEntries(db, 'members'), [
        [hex('10'), hex('{"id":16,"peerURLs":["http://b:2380"],"clientURLs":["http://b:2379"]}')],
        [
          hex('abcdef0123456789'),
          hex(
            '{"id":12379813738877118345,"peerURLs":["http://127.0.0.1:2380"],"isLearner":true,"name":"m\\u003c1\\u003e"}',
          ),
        ],
      ])
      assert.deepEqual(bucketEntries(db, 'members_removed'), [[hex('5'), hex('removed')]])
      assert.deepEqual(bucketEntries(db, 'cluster'), [[hex('clusterVersion'), hex('3.5.0')]])
      assert.deepEqual(bucketEntries(db, 'auth'), [[hex('authRevision'), '0000000000000001']])
      for (const empty of ['alarm', 'authRoles', 'authUsers']) assert.deepEqual(bucketEntries(db, empty), [])
    } finally {
      db.close()
    }
    assert.equal(snapshotStatusOfFile(file).revision, 4)
  })

  it('encodes leasepb.Lease and etcd’s member JSON', () => {
    assert.equal(encodeLease(1n, 10, 7).toString('hex'), '0801100a1807')
    assert.equal(encodeLease(-1n, 0, 0).toString('hex'), '08ffffffffffffffffff01')
    assert.equal(
      etcdMemberJson({ id: 1n, name: 'a&b', peerURLs: [], clientURLs: [], isLearner: false }).toString(),
      '{"id":1,"peerURLs":[],"name":"a\\u0026b"}',
    )
  })

  it('copies one point-in-time view of a RocksDB while it is being written', async () => {
    const b = await RocksBackend.open(path.join(dir, 'rocks'))
    try {
      const n = 20000
      for (let i = 0; i < n; i += 1000) {
        const rows: [Buffer, Buffer][] = []
        for (let j = i; j < i + 1000; j++)
          rows.push([
            recKey(j + 2),
            encodeKeyValue({ key: Buffer.from(`k${j}`), value: Buffer.alloc(200, 1), mod_revision: j + 2 }),
          ])
        put(b, rows)
      }
      put(b, [[MetaKey.consistentIndex, encodeMetaNumber(n)]])
      const file = path.join(dir, 'db')
      let writes = 0
      let stop = false
      const copying = backendToBolt(b, file, { pageSize: 4096 })
      const writer = (async () => {
        // Keep writing while the copy is made: new records, rewritten ones, a new consistent index.
        for (let i = 0; !stop; i++) {
          put(b, [
            [recKey(n + 2 + i), encodeKeyValue({ key: Buffer.from(`new${i}`), mod_revision: n + 2 + i })],
            [recKey(2 + (i % n)), Buffer.from('changed')],
            [MetaKey.consistentIndex, encodeMetaNumber(n + 1 + i)],
          ])
          writes++
          await new Promise((r) => setImmediate(r))
        }
      })()
      const res = await copying
      stop = true
      await writer
      assert.ok(writes > 1, 'writes happened while the copy was made')
      assert.equal(res.revision, n + 1)
      assert.equal(res.consistentIndex, n)
      const db = BoltReader.open(file, { verifyTrailer: false })
      try {
        let count = 0
        for (const e of db.bucket('key')!.entries()) {
          assert.notEqual(e.value.toString(), 'changed')
          count++
        }
        assert.equal(count, n)
      } finally {
        db.close()
      }
    } finally {
      await b.close()
    }
  })

  it('carries alarms and auth records to etcd’s buckets, and back through restore’s copy', async () => {
    const b = new MemoryBackend()
    const nospace = encodeAlarmMember({ memberID: 0x8e9e05c52164694dn, alarm: AlarmType.NOSPACE })
    put(b, [
      [recKey(2), encodeKeyValue({ key: Buffer.from('a'), mod_revision: 2 })],
      [bucketKey(Bucket.Alarm, nospace), Buffer.alloc(0)],
      [authRecordKey('auth', 'authEnabled'), Buffer.from([1])],
      [authRecordKey('auth', 'authRevision'), Buffer.from('0000000000000007', 'hex')],
      [authRecordKey('authUsers', 'root'), Buffer.from('user-record')],
      [authRecordKey('authRoles', 'root'), Buffer.from('role-record')],
    ])
    const file = path.join(dir, 'db')
    await backendToBolt(b, file, { pageSize: 4096 })
    const db = BoltReader.open(file, { verifyTrailer: false })
    try {
      assert.deepEqual(bucketEntries(db, 'alarm'), [[nospace.toString('hex'), '']])
      assert.deepEqual(bucketEntries(db, 'auth'), [
        [hex('authEnabled'), '01'],
        [hex('authRevision'), '0000000000000007'],
      ])
      assert.deepEqual(bucketEntries(db, 'authUsers'), [[hex('root'), hex('user-record')]])
      assert.deepEqual(bucketEntries(db, 'authRoles'), [[hex('root'), hex('role-record')]])
      const back = new MemoryBackend()
      const res = copyBolt(db, back)
      assert.equal(res.alarms, 1)
      assert.equal(res.authRecords, 4)
      for (const bucket of [Bucket.Alarm, Bucket.Auth]) {
        const [gte, lt] = bucketBounds(bucket)
        const got: string[] = []
        const want: string[] = []
        for await (const chunk of back.iterate(gte, lt)) for (const [k, v] of chunk) got.push(hex(k) + '=' + hex(v))
        for await (const chunk of b.iterate(gte, lt)) for (const [k, v] of chunk) want.push(hex(k) + '=' + hex(v))
        assert.deepEqual(got, want)
      }
    } finally {
      db.close()
    }
  })

  it('leaves the file to the caller and rejects when stopped', async () => {
    const b = new MemoryBackend()
    put(b, [[recKey(2), encodeKeyValue({ key: Buffer.from('a'), mod_revision: 2 })]])
    const ac = new AbortController()
    ac.abort(new Error('stopped'))
    await assert.rejects(backendToBolt(b, path.join(dir, 'db'), { signal: ac.signal }), /stopped/)
  })
})
