import assert from 'node:assert/strict'
import { EtcdClient } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { removeDir, startTsetcd, type ServerProc } from '../helpers/procs.js'
import { waitFor } from '../helpers/wait.js'

describe('auto-compaction (--auto-compaction-mode, --auto-compaction-retention)', function () {
  this.timeout(60000)
  const servers: ServerProc[] = []
  let client: EtcdClient | undefined
  afterEach(async () => {
    client?.close()
    for (const s of servers.splice(0)) {
      await s.kill9()
      removeDir(s.dataDir)
    }
  })

  async function writes(s: ServerProc, n: number): Promise<EtcdClient> {
    const c = await EtcdClient.connect({ endpoints: [s.endpoint], dialTimeoutMs: 2000 })
    for (let i = 0; i < n; i++)
      await c.call(KVService.Put, { key: Buffer.from(`k${i % 3}`), value: Buffer.from(String(i)) })
    return c
  }
  const rangeAt = (c: EtcdClient, revision: number) => c.call(KVService.Range, { key: Buffer.from('k0'), revision })
  const compactedAt = async (c: EtcdClient, revision: number) => {
    try {
      await rangeAt(c, revision)
      return false
    } catch (err) {
      if (/required revision has been compacted/.test((err as Error).message)) return true
      throw err
    }
  }

  it('revision mode keeps the last N revisions: older ones become compacted, the leader proposes it', async () => {
    // TSETCD_AUTO_COMPACTION_CHECK_INTERVAL: not an etcd setting; shortens etcd's 5-minute check for tests
    const s = await startTsetcd({
      extraArgs: ['--auto-compaction-mode', 'revision', '--auto-compaction-retention', '10'],
      env: { TSETCD_AUTO_COMPACTION_CHECK_INTERVAL: '200ms' },
    })
    servers.push(s)
    client = await writes(s, 30) // revisions 2..31
    await waitFor(() => compactedAt(client!, 20), 10000, 'revision 20 to be compacted')
    assert.equal(await compactedAt(client, 21), false) // 31 − 10: kept
    assert.match(s.log(), /"msg":"completed auto revision compaction","revision":21,"revision-compaction-retention":10/)
  })

  it('periodic mode compacts, after the retention period, at the revision of one period ago', async () => {
    const s = await startTsetcd({ extraArgs: ['--auto-compaction-retention', '1s'] })
    servers.push(s)
    client = await writes(s, 20) // revisions 2..21
    await waitFor(() => compactedAt(client!, 20), 10000, 'revision 20 to be compacted')
    assert.equal(await compactedAt(client, 21), false)
    assert.match(s.log(), /"msg":"completed auto periodic compaction","revision":21/)
  })

  it("a malformed retention stops the member with etcd's message", async () => {
    await assert.rejects(
      startTsetcd({ extraArgs: ['--auto-compaction-retention', 'soon'] }),
      /error parsing CompactionRetention: time: invalid duration "soon"/,
    )
  })
})
