/**
 * Defragmentation: db_size shrinks after deletes + compaction; a member killed -9 while it
 * defragments restarts with every key; a stopped member's data dir is defragmented offline.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { EtcdClient } from '../../src/client/client.js'
import { KVService, MaintenanceService } from '../../src/gen/etcdserverpb.js'
import { RocksBackend } from '../../src/server/backend/rocks-backend.js'
import { TSETCD, removeDir, run, startTsetcd, type ServerProc } from '../helpers/procs.js'

async function withClient<T>(p: ServerProc, fn: (c: EtcdClient) => Promise<T>): Promise<T> {
  const c = await EtcdClient.connect({ endpoints: [p.endpoint], dialTimeoutMs: 3000 })
  try {
    return await fn(c)
  } finally {
    c.close()
  }
}

/** Puts `${prefix}${i}` = value of `size` bytes for i in [0, n). */
async function putMany(c: EtcdClient, prefix: string, n: number, size: number): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < n) {
      const i = next++
      await c.call(KVService.Put, { key: Buffer.from(`${prefix}${i}`), value: Buffer.alloc(size, `${i % 10}`) }, 20000)
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
}

async function countKeys(c: EtcdClient, prefix: string): Promise<number> {
  const r = await c.call(KVService.Range, {
    key: Buffer.from(prefix),
    range_end: Buffer.from(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)),
    count_only: true,
  })
  return Number(r.count)
}

describe('defragmentation', function () {
  this.timeout(240000)
  let s: ServerProc | undefined
  afterEach(async () => {
    await s?.kill9()
    if (s) removeDir(s.dataDir)
    s = undefined
  })

  it('db_size shrinks after deletes, compaction and defrag; keys and writes go on', async () => {
    s = await startTsetcd()
    await withClient(s, async (c) => {
      await putMany(c, 'gone/', 400, 20 * 1024)
      await putMany(c, 'kept/', 50, 1024)
      const del = await c.call(KVService.DeleteRange, { key: Buffer.from('gone/'), range_end: Buffer.from('gone0') })
      await c.call(KVService.Compact, { revision: Number(del.header!.revision), physical: true })
      const before = Number((await c.call(MaintenanceService.Status, {})).dbSize)
      const r = await run(process.execPath, [TSETCD, '--endpoints', s!.endpoint, 'defrag'])
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, `Finished defragmenting etcd member[${s!.endpoint}]\n`)
      const after = Number((await c.call(MaintenanceService.Status, {})).dbSize)
      assert.ok(after < before / 4, `db size ${before} before, ${after} after`)
      assert.equal(await countKeys(c, 'kept/'), 50)
      assert.equal(await countKeys(c, 'gone/'), 0)
      await c.call(KVService.Put, { key: Buffer.from('after'), value: Buffer.from('v') })
    })
    assert.ok(!fs.existsSync(`${RocksBackend.dbDir(s.dataDir)}.defrag`))
  })

  it('writes made while it runs are kept', async () => {
    s = await startTsetcd()
    await withClient(s, async (c) => {
      await putMany(c, 'base/', 2000, 4 * 1024)
      const defrag = c.call(MaintenanceService.Defragment, {}, 60000)
      await putMany(c, 'during/', 300, 100)
      await defrag
      assert.equal(await countKeys(c, 'during/'), 300)
      assert.equal(await countKeys(c, 'base/'), 2000)
    })
    await s.stop()
    s = await startTsetcd({ dataDir: s.dataDir })
    await withClient(s, async (c) => assert.equal(await countKeys(c, 'during/'), 300))
  })

  it('a member killed -9 during defrag restarts with every key', async () => {
    s = await startTsetcd()
    const dataDir = s.dataDir
    const tmp = `${RocksBackend.dbDir(dataDir)}.defrag`
    await withClient(s, async (c) => {
      await putMany(c, 'k/', 3000, 10 * 1024)
      void c.call(MaintenanceService.Defragment, {}, 60000).catch(() => undefined)
      const deadline = Date.now() + 20000
      while (!fs.existsSync(tmp) && Date.now() < deadline) await new Promise((r) => setImmediate(r))
      assert.ok(fs.existsSync(tmp), 'the copy was started')
      await s!.kill9()
    })
    s = await startTsetcd({ dataDir })
    await withClient(s, async (c) => assert.equal(await countKeys(c, 'k/'), 3000))
    assert.ok(!fs.existsSync(tmp), 'the leftover copy is removed')
  })

  it('tsetcd defrag --data-dir defragments a stopped member; it starts with its keys', async () => {
    s = await startTsetcd()
    await withClient(s, async (c) => {
      await putMany(c, 'x/', 200, 10 * 1024)
      const del = await c.call(KVService.DeleteRange, { key: Buffer.from('x/1'), range_end: Buffer.from('x/2') })
      await c.call(KVService.Compact, { revision: Number(del.header!.revision), physical: true })
    })
    await s.stop()
    const r = await run(process.execPath, [TSETCD, 'defrag', '--data-dir', s.dataDir])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '')
    s = await startTsetcd({ dataDir: s.dataDir })
    await withClient(s, async (c) => assert.equal(await countKeys(c, 'x/'), 200 - 111))
    const missing = await run(process.execPath, [TSETCD, 'defrag', '--data-dir', `${s.dataDir}-none`])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^Failed to defragment etcd data\[.*-none\] \(/)
  })
})
