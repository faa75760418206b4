import assert from 'node:assert/strict'
import { EtcdClient } from '../../src/client/client.js'
import { KVService, LeaseService, MaintenanceService } from '../../src/gen/etcdserverpb.js'
import { ETCDCTL, haveBinary, removeDir, run, startTsetcd, type ServerProc } from '../helpers/procs.js'

describe('--quota-backend-bytes', function () {
  this.timeout(60000)
  let s: ServerProc
  let c: EtcdClient
  const QUOTA = 3_000_000 // RocksDB memtables grow in 1 MB arena blocks: keep well above that
  before(async () => {
    s = await startTsetcd({ extraArgs: ['--quota-backend-bytes', String(QUOTA)] })
    c = await EtcdClient.connect({ endpoints: [s.endpoint], dialTimeoutMs: 2000 })
  })
  after(async () => {
    c?.close()
    await s.kill9()
    removeDir(s.dataDir)
  })

  it('refuses puts, txns with puts and lease grants once the backend reaches the quota; reads, deletes and compactions pass', async () => {
    const value = Buffer.alloc(200 * 1024, 'x')
    let refused: Error | undefined
    let i = 0
    for (; i < 40 && !refused; i++) {
      try {
        await c.call(KVService.Put, { key: Buffer.from(`big${i}`), value })
      } catch (err) {
        refused = err as Error
      }
    }
    assert.ok(refused, 'no put was refused')
    assert.match(refused.message, /etcdserver: mvcc: database space exceeded/)
    assert.ok(i > 2, `refused too early, after ${i} puts`)
    const status = await c.call(MaintenanceService.Status, {})
    assert.ok(Number(status.dbSize) + 200 * 1024 + 256 >= QUOTA, `dbSize ${status.dbSize}`)
    await assert.rejects(
      c.call(KVService.Txn, { success: [{ request_put: { key: Buffer.from('t'), value: Buffer.from('v') } }] }),
      /database space exceeded/,
    )
    await assert.rejects(c.call(LeaseService.LeaseGrant, { TTL: 60 }), /database space exceeded/)
    if (haveBinary(ETCDCTL)) {
      const r = await run(ETCDCTL, ['--endpoints', s.endpoint, 'put', 'small', 'v'])
      assert.equal(r.code, 1)
      assert.match(r.stderr, /Error: etcdserver: mvcc: database space exceeded/)
    }
    const got = await c.call(KVService.Range, { key: Buffer.from('big0') })
    assert.equal(got.kvs.length, 1)
    const del = await c.call(KVService.DeleteRange, { key: Buffer.from('big0') })
    assert.equal(Number(del.deleted), 1)
    const rev = Number((await c.call(KVService.Range, { key: Buffer.from('big1') })).header!.revision)
    await c.call(KVService.Compact, { revision: rev, physical: true })
  })
})
