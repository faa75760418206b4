/**
 * bbolt files against the real etcd 3.4 tools: we read what `etcdctl snapshot save` writes and
 * report the status `etcdctl snapshot status` prints; etcd restores and serves a snapshot we wrote.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {
  BoltReader,
  SnapshotHashMismatchError,
  decodeKeyValue,
  parseRevisionKey,
  snapshotStatusOfFile,
  writeEtcdSnapshot,
  type MvccRecord,
} from '../../src/bbolt/index.js'
import {
  ETCD,
  ETCDCTL,
  haveBinary,
  removeDir,
  run,
  startEtcd,
  tmpDir,
  userStderr,
  type ServerProc,
  etcdctlOk,
  restoreIntoEtcd,
} from '../helpers/procs.js'

const ctl = (args: string[], input?: string): Promise<string> => etcdctlOk(args, { input })

const missing = [ETCD, ETCDCTL].filter((b) => !haveBinary(b))

async function ctlStatus(file: string): Promise<unknown> {
  return JSON.parse(await ctl(['snapshot', 'status', file, '-w', 'json']))
}

interface GetResult {
  header: { revision: number }
  kvs?: { key: string; value?: string; create_revision: number; mod_revision: number; version: number }[]
}

async function get(endpoint: string, key: string): Promise<GetResult> {
  return JSON.parse(await ctl(['--endpoints', endpoint, 'get', key, '-w', 'json']))
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64')

describe('bbolt files with the real etcd and etcdctl', function () {
  this.timeout(120000)
  before(function () {
    if (missing.length > 0) this.skip() // real etcd binaries not installed: nothing to compare against
  })

  let dir: string
  const servers: ServerProc[] = []
  beforeEach(() => {
    dir = tmpDir('tsetcd-bbolt-')
  })
  afterEach(async () => {
    while (servers.length > 0) await servers.pop()!.stop()
    removeDir(dir)
  })

  it('reads a snapshot saved from a real etcd and reports the status etcdctl prints', async () => {
    const s = await startEtcd({ dataDir: path.join(dir, 'src') })
    servers.push(s)
    const ep = ['--endpoints', s.endpoint]
    for (let i = 0; i < 300; i++) await ctl([...ep, 'put', `key-${String(i).padStart(4, '0')}`, `value-${i}`])
    await ctl([...ep, 'put', 'big', 'B'.repeat(20000)])
    await ctl([...ep, 'del', 'key-0007'])
    await ctl([...ep, 'put', 'key-0001', 'again'])
    const snap = path.join(dir, 'snap.db')
    await ctl([...ep, 'snapshot', 'save', snap])

    assert.deepEqual(snapshotStatusOfFile(snap), await ctlStatus(snap))

    const db = BoltReader.open(snap) // verifies the sha256 trailer
    try {
      assert.ok(db.trailer)
      const latest = new Map<string, { value: string; tombstone: boolean; main: bigint }>()
      for (const e of db.bucket('key')!.entries()) {
        const rev = parseRevisionKey(e.key)
        const kv = decodeKeyValue(e.value)
        latest.set(kv.key.toString(), { value: kv.value.toString(), tombstone: rev.tombstone, main: rev.main })
      }
      assert.equal(latest.size, 301)
      assert.equal(latest.get('key-0001')!.value, 'again')
      assert.equal(latest.get('key-0007')!.tombstone, true)
      assert.equal(latest.get('big')!.value, 'B'.repeat(20000))
      assert.equal(latest.get('key-0299')!.value, 'value-299')
      assert.equal(latest.get('key-0001')!.main, 304n)
    } finally {
      db.close()
    }
  })

  for (const pageSize of [4096, 16384, 1024]) {
    it(`etcd restores and serves a snapshot we wrote (page size ${pageSize})`, async () => {
      const records: MvccRecord[] = []
      let rev = 1
      for (let i = 0; i < 1500; i++)
        records.push({
          main: ++rev,
          key: `k${String(i).padStart(5, '0')}`,
          value: i % 300 === 0 ? 'X'.repeat(30000) : `v${i}`,
        })
      records.push({ main: ++rev, key: 'k00001', value: 'second', createRevision: 3, version: 2 })
      records.push({ main: ++rev, key: 'k00002', tombstone: true })
      const snap = path.join(dir, 'ours.db')
      const res = writeEtcdSnapshot(snap, { records, consistentIndex: 42 }, { pageSize })
      assert.equal(fs.statSync(snap).size, res.size + 32)

      // etcdctl snapshot status opens it with the real bbolt (and runs bbolt's consistency check).
      assert.deepEqual(await ctlStatus(snap), snapshotStatusOfFile(snap))
      assert.deepEqual(snapshotStatusOfFile(snap), {
        hash: snapshotStatusOfFile(snap).hash,
        revision: rev,
        totalKey: 1502 + 3,
        totalSize: res.size,
      })

      const s = await restoreIntoEtcd(snap, path.join(dir, 'restored'))
      servers.push(s)

      const first = await get(s.endpoint, 'k00000')
      assert.equal(first.header.revision, rev)
      assert.deepEqual(first.kvs, [
        { key: b64('k00000'), value: b64('X'.repeat(30000)), create_revision: 2, mod_revision: 2, version: 1 },
      ])
      assert.deepEqual((await get(s.endpoint, 'k00001')).kvs, [
        { key: b64('k00001'), value: b64('second'), create_revision: 3, mod_revision: rev - 1, version: 2 },
      ])
      assert.equal((await get(s.endpoint, 'k00002')).kvs, undefined)
      assert.equal((await get(s.endpoint, 'k01499')).kvs![0].value, b64('v1499'))
      const count = JSON.parse(
        await ctl(['--endpoints', s.endpoint, 'get', 'k', '--prefix', '--keys-only', '-w', 'json']),
      )
      assert.equal(count.count, 1499)
      await ctl(['--endpoints', s.endpoint, 'put', 'after', 'restore'])
      assert.equal((await get(s.endpoint, 'after')).kvs![0].mod_revision, rev + 1)
    })
  }

  it('etcd restores a tiny snapshot on 512-byte pages (padded to 4 KiB with listed free pages)', async () => {
    const snap = path.join(dir, 'tiny.db')
    const res = writeEtcdSnapshot(
      snap,
      { records: [{ main: 2, key: 'only', value: 'one' }], consistentIndex: 1 },
      { pageSize: 512 },
    )
    assert.equal(res.size, 4096)
    assert.deepEqual(await ctlStatus(snap), snapshotStatusOfFile(snap))
    const s = await restoreIntoEtcd(snap, path.join(dir, 'restored'))
    servers.push(s)
    assert.equal((await get(s.endpoint, 'only')).kvs![0].value, b64('one'))
    await ctl(['--endpoints', s.endpoint, 'put', 'two', '2'])
    assert.equal((await get(s.endpoint, 'two')).kvs![0].mod_revision, 3)
  })

  it('a damaged file: etcdctl snapshot status and ours fail with the same integrity errors', async () => {
    const snap = path.join(dir, 'damaged.db')
    const records: MvccRecord[] = Array.from({ length: 60 }, (_, i) => ({
      main: i + 2,
      key: `key-${i}`,
      value: 'v'.repeat(20),
    }))
    writeEtcdSnapshot(snap, { records }, { pageSize: 512 })
    const bytes = fs.readFileSync(snap)
    const db = BoltReader.fromBuffer(bytes)
    const root = Number(db.bucket('key')!.header.root)
    // The branch root's second child points at the first; the second leaf becomes unreachable.
    const first = bytes.readBigUInt64LE(root * 512 + 16 + 8)
    bytes.writeBigUInt64LE(first, root * 512 + 16 + 16 + 8)
    // The freelist forgets its pages.
    bytes.writeUInt16LE(0, Number(db.meta.freelist) * 512 + 10)
    fs.writeFileSync(snap, bytes)

    let ours = ''
    assert.throws(
      () => snapshotStatusOfFile(snap),
      (err: Error) => Boolean((ours = err.message)),
    )
    assert.match(ours, /^snapshot file integrity check failed\. \d+ errors found\.\n/)
    const r = await run(ETCDCTL, ['snapshot', 'status', snap, '-w', 'json'])
    assert.notEqual(r.code, 0)
    assert.equal(userStderr(r.stderr).trim(), `Error: ${ours}`)
  })

  it('a trailer mismatch: etcdctl restore and our reader give the same error', async () => {
    const snap = path.join(dir, 'bad.db')
    writeEtcdSnapshot(snap, { records: [{ main: 2, key: 'a', value: 'b' }] })
    const bytes = fs.readFileSync(snap)
    bytes[bytes.length - 1] ^= 0xff
    fs.writeFileSync(snap, bytes)

    let ours = ''
    assert.throws(
      () => BoltReader.open(snap),
      (err: Error) => {
        ours = err.message
        return err instanceof SnapshotHashMismatchError
      },
    )
    const r = await run(ETCDCTL, ['snapshot', 'restore', snap, '--data-dir', path.join(dir, 'restored')])
    assert.notEqual(r.code, 0)
    assert.equal(userStderr(r.stderr).trim(), `Error: ${ours}`)
  })
})
