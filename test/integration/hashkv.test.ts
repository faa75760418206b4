import assert from 'node:assert/strict'
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
    for (let i = 0; i < 10; i++) assert.equal((await run(ETCDCTL, ['--endpoints', eps, 'put', `k${i % 3}`, `v${i}`])).code, 0)
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
