import assert from 'node:assert/strict'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { RocksBackend } from '../../src/server/backend/rocks-backend.js'
import { revKey } from '../../src/server/mvcc/revision.js'
import { TestCluster } from '../helpers/cluster.js'
import { ETCDCTL, haveBinary, run } from '../helpers/procs.js'

describe('Maintenance.HashKV (etcdctl endpoint hashkv)', function () {
  this.timeout(120000)
  let c: TestCluster | undefined
  after(async () => {
    await c?.stopAll()
    c?.remove()
  })

  it('gives the same hash on every member of a cluster for the same revision', async function () {
    if (!haveBinary(ETCDCTL)) this.skip()
    c = await TestCluster.create(3)
    await Promise.all(c.members.map((m) => c!.ready(m)))
    const eps = c.members.map((m) => m.endpoint).join(',')
    for (let i = 0; i < 10; i++)
      assert.equal((await run(ETCDCTL, ['--endpoints', eps, 'put', `k${i % 3}`, `v${i}`])).code, 0)
    assert.equal((await run(ETCDCTL, ['--endpoints', eps, 'del', 'k1'])).code, 0)
    assert.equal((await run(ETCDCTL, ['--endpoints', eps, 'compaction', '5'])).code, 0)
    // A follower may not have applied revision 9 yet (a future revision there): ask again.
    let r = await run(ETCDCTL, ['--endpoints', eps, 'endpoint', 'hashkv', '--rev', '9', '-w', 'json'])
    for (let i = 0; i < 50 && r.code !== 0; i++) {
      await new Promise((res) => setTimeout(res, 100))
      r = await run(ETCDCTL, ['--endpoints', eps, 'endpoint', 'hashkv', '--rev', '9', '-w', 'json'])
    }
    assert.equal(r.code, 0, r.stderr)
    const list = JSON.parse(r.stdout) as { Endpoint: string; HashKV: { hash: number; compact_revision: number } }[]
    assert.equal(list.length, 3)
    for (const e of list) {
      assert.equal(e.HashKV.hash, list[0].HashKV.hash, `hash on ${e.Endpoint}`)
      assert.equal(e.HashKV.compact_revision, 5)
    }
    const future = await run(ETCDCTL, ['--endpoints', c.members[0].endpoint, 'endpoint', 'hashkv', '--rev', '1000'])
    assert.match(future.stderr, /required revision is a future revision/)
  })
})

describe('--experimental-initial-corrupt-check', function () {
  this.timeout(120000)
  let c: TestCluster | undefined
  after(async () => {
    await c?.stopAll()
    c?.remove()
  })

  it('a restarted member whose data differs from its peers refuses to start; an intact one starts', async () => {
    c = await TestCluster.create(3, { 'experimental-initial-corrupt-check': 'true' })
    await Promise.all(c.members.map((m) => c!.ready(m)))
    const [, m2, m3] = c.members
    const cl = await c.client()
    try {
      for (let i = 0; i < 10; i++)
        await cl.call(KVService.Put, { key: Buffer.from(`k${i % 3}`), value: Buffer.from(`v${i}`) })
    } finally {
      cl.close()
    }
    // Every member has applied the writes before the two are stopped (a linearizable read
    // on a member waits until it has applied everything committed before the read).
    for (const m of [m2, m3]) await c.ready(m)
    await m3.proc!.stop()
    await m2.proc!.stop()

    const backend = await RocksBackend.open(RocksBackend.dbDir(c.dataDir(m3)))
    // Revision 2 is the first put (k0=v0): the same record with another value of the same length.
    const [record] = await backend.get([revKey(2, 0, false)])
    assert.ok(record && record.includes('v0'), 'the record of revision 2')
    const changed = Buffer.from(record)
    changed.set(Buffer.from('X0'), record.indexOf('v0'))
    const wb = backend.batch()
    wb.put(revKey(2, 0, false), changed)
    wb.write({ sync: true })
    await backend.close()

    await c.start(m2)
    await c.ready(m2)
    const deadline = Date.now() + 10000
    while (!/initial corruption checking passed; no corruption/.test(m2.proc!.log()) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    assert.match(m2.proc!.log(), /initial corruption checking passed; no corruption/)

    // The client port is bound at once (as etcd's), so the start may return before the check
    // fails: either way the member exits with 1, saying why.
    let log: string
    try {
      const p3 = await c.start(m3)
      if (p3.proc.exitCode === null) await new Promise((resolve) => p3.proc.once('exit', resolve))
      assert.equal(p3.proc.exitCode, 1)
      log = p3.log()
    } catch (err) {
      assert.match((err as Error).message, /server exited with 1/)
      log = (err as Error).message
    }
    assert.match(log, /found different hash values from remote peer/)
    assert.match(log, /[0-9a-f]+ found data inconsistency with peers/)
  })
})
