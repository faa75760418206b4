import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { EtcdClient } from '../../src/client/client.js'
import { KVService, MaintenanceService } from '../../src/gen/etcdserverpb.js'
import { TestCluster, type ClusterMember } from '../helpers/cluster.js'
import { ETCDCTL, TSETCD, freePorts, haveBinary, run } from '../helpers/procs.js'
import { waitFor } from '../helpers/wait.js'
import { encodeBatch, encodeSave } from '../../src/server/wal/encoder.js'
import { scanSegment } from '../../src/server/wal/segment-scan.js'

async function serializableGet(c: TestCluster, m: ClusterMember, key: string, rangeEnd?: string) {
  const client = await c.client(m)
  try {
    return await client.call(
      KVService.Range,
      { key: Buffer.from(key), range_end: rangeEnd ? Buffer.from(rangeEnd) : undefined, serializable: true },
      3000,
    )
  } finally {
    client.close()
  }
}

/** Waits until every member has applied at least `index`. */
async function converge(c: TestCluster, members: ClusterMember[], timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const applied: bigint[] = []
    for (const m of members) {
      const cl = await c.client(m)
      try {
        const s = await cl.call(MaintenanceService.Status, {}, 2000)
        applied.push(s.raftAppliedIndex)
      } catch {
        applied.push(-1n)
      } finally {
        cl.close()
      }
    }
    if (applied.every((a) => a === applied[0] && a > 0n)) return
    if (Date.now() > deadline) throw new Error(`members did not converge: applied ${applied.join(', ')}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('a three-member cluster', function () {
  this.timeout(120000)
  let c: TestCluster | undefined
  afterEach(async () => {
    await c?.stopAll()
    c?.remove()
    c = undefined
  })

  it('started from config files: a write on member 1 is read on members 2 and 3 with etcdctl', async function () {
    if (!haveBinary(ETCDCTL)) this.skip()
    c = await TestCluster.create(3)
    await Promise.all(c.members.map((m) => c!.ready(m)))
    const [m1, m2, m3] = c.members
    const put = await run(ETCDCTL, ['--endpoints', m1.endpoint, 'put', 'key1', 'zhangyi'])
    assert.equal(put.stdout, 'OK\n')
    for (const m of [m2, m3]) {
      const get = await run(ETCDCTL, ['--endpoints', m.endpoint, 'get', 'key1'])
      assert.equal(get.stdout, 'key1\nzhangyi\n', `linearizable read on ${m.name}`)
    }
    const ours = await run(process.execPath, [
      TSETCD,
      '--endpoints',
      c.endpoints.join(','),
      'get',
      'key1',
      '--consistency=s',
    ])
    assert.equal(ours.stdout, 'key1\nzhangyi\n')
    const status = await run(ETCDCTL, ['--endpoints', c.endpoints.join(','), 'endpoint', 'status', '-w', 'json'])
    const rows = JSON.parse(status.stdout) as {
      Status: { leader: number; header: { member_id: number; cluster_id: number } }
    }[]
    assert.equal(rows.length, 3)
    assert.equal(new Set(rows.map((r) => r.Status.leader)).size, 1, 'all members agree on the leader')
    assert.equal(new Set(rows.map((r) => r.Status.header.cluster_id)).size, 1, 'one cluster ID')

    // member list, with every member's advertised client URLs
    const list = await run(ETCDCTL, ['--endpoints', m2.endpoint, 'member', 'list'])
    const expected: string[] = []
    for (const m of c.members) {
      const cl = await c.client(m)
      try {
        const id = (await cl.call(MaintenanceService.Status, {})).header!.member_id
        expected.push(
          `${id.toString(16)}, started, ${m.name}, http://127.0.0.1:${m.peerPort}, http://127.0.0.1:${m.clientPort}, false`,
        )
      } finally {
        cl.close()
      }
    }
    assert.deepEqual(list.stdout.trim().split('\n').sort(), expected.sort())

    // tsetcd's member and endpoint commands print what etcdctl prints
    for (const args of [
      ['member', 'list'],
      ['member', 'list', '-w', 'json'],
      ['member', 'list', '-w', 'table'],
      ['endpoint', 'status', '-w', 'table'],
    ]) {
      // one endpoint for member list (its header names the member that answered), all for status
      const eps = args[0] === 'member' ? m2.endpoint : c.endpoints.join(',')
      const theirs = await run(ETCDCTL, ['--endpoints', eps, ...args])
      const ours = await run(process.execPath, [TSETCD, '--endpoints', eps, ...args])
      assert.equal(ours.stdout, theirs.stdout, args.join(' '))
      assert.equal(ours.code, 0)
    }
    const health = await run(process.execPath, [TSETCD, '--endpoints', m1.endpoint, 'endpoint', 'health', '--cluster'])
    assert.equal(health.code, 0)
    for (const m of c.members)
      assert.match(
        health.stderr,
        new RegExp(
          `http://127.0.0.1:${m.clientPort} is healthy: successfully committed proposal: took = [0-9.]+(ms|µs|s)\n`,
        ),
      )
  })

  it('elects a new leader after the leader is killed under load, and keeps every acknowledged write', async () => {
    c = await TestCluster.create(3)
    await Promise.all(c.members.map((m) => c!.ready(m)))
    const leader = await c.leader()
    const followers = c.members.filter((m) => m !== leader)
    const acked = new Map<string, string>()
    let stop = false
    const clients: EtcdClient[] = []
    const writer = async (w: number, target: ClusterMember) => {
      const cl = await c!.client(target)
      clients.push(cl)
      for (let i = 0; !stop; i++) {
        const key = `w${w}/${String(i).padStart(6, '0')}`
        try {
          await cl.call(KVService.Put, { key: Buffer.from(key), value: Buffer.from(`v${w}.${i}`) }, 3000)
          acked.set(key, `v${w}.${i}`)
        } catch {
          await new Promise((r) => setTimeout(r, 50))
        }
      }
    }
    const writers = Array.from({ length: 12 }, (_, w) => writer(w, c!.members[w % 3]))
    await waitFor(() => acked.size >= 100, 20000, 'writes before the kill')
    const beforeKill = acked.size
    await leader.proc!.kill9()
    const newLeader = await c.leader(10000, followers)
    assert.ok(followers.includes(newLeader))
    // Writes go on through the survivors (those in flight to the dead leader time out first).
    await waitFor(() => acked.size >= beforeKill + 100, 30000, 'writes after the leader died')
    stop = true
    await Promise.all(writers)
    clients.forEach((cl) => cl.close())

    await c.start(leader)
    await c.ready(leader)
    await converge(c, c.members)
    for (const m of c.members) {
      const r = await serializableGet(c, m, 'w', 'x')
      const stored = new Map(r.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]))
      for (const [k, v] of acked) assert.equal(stored.get(k), v, `${m.name} has acknowledged write ${k}`)
    }
  })

  it('brings a restarted member up to date with a snapshot once the others compacted their logs', async () => {
    c = await TestCluster.create(3, { 'snapshot-count': 50 })
    await Promise.all(c.members.map((m) => c!.ready(m)))
    const leader = await c.leader()
    const lagging = c.members.find((m) => m !== leader)!
    await lagging.proc!.stop()
    const live = c.members.filter((m) => m !== lagging)
    const cl = await c.client(live)
    try {
      for (let i = 0; i < 400; i++)
        await cl.call(KVService.Put, {
          key: Buffer.from(`snap/${String(i).padStart(4, '0')}`),
          value: Buffer.from(`value-${i}`),
        })
    } finally {
      cl.close()
    }
    const snapFiles = fs.readdirSync(path.join(c.dataDir(leader), 'member', 'snap')).filter((f) => f.endsWith('.snap'))
    assert.ok(snapFiles.length > 0, 'the leader took raft snapshots')
    await c.start(lagging)
    await c.ready(lagging)
    await converge(c, c.members)
    const r = await serializableGet(c, lagging, 'snap/', 'snap0')
    assert.equal(r.count, 400, 'the restarted member has every key')
    assert.equal(r.kvs[399].value.toString(), 'value-399')
    assert.match(lagging.proc!.log(), /applied snapshot from leader/)
  })

  it('repairs a torn WAL tail on restart and catches up', async () => {
    c = await TestCluster.create(3)
    await Promise.all(c.members.map((m) => c!.ready(m)))
    const leader = await c.leader()
    const victim = c.members.find((m) => m !== leader)!
    const cl = await c.client(c.members.filter((m) => m !== victim))
    try {
      for (let i = 0; i < 20; i++) await cl.call(KVService.Put, { key: Buffer.from(`t${i}`), value: Buffer.from('x') })
      await converge(c, c.members)
      await victim.proc!.kill9()
      // A write cut short by the crash: a batch (never acknowledged) of which only the part up
      // to the first sector boundary reached the disk, right after the last complete write.
      const walDir = path.join(c.dataDir(victim), 'member', 'wal')
      const last = fs
        .readdirSync(walDir)
        .filter((f) => f.endsWith('.wal'))
        .sort()
        .pop()!
      const file = path.join(walDir, last)
      const scan = scanSegment(fs.readFileSync(file), undefined)
      const write = encodeBatch(scan.logId!, [
        encodeSave(undefined, [{ index: 1_000_000, term: 1, type: 0, data: Buffer.alloc(3000, 7) }]),
      ])
      const torn = write.subarray(0, 512 - (scan.end % 512))
      const fd = fs.openSync(file, 'r+')
      fs.writeSync(fd, torn, 0, torn.length, scan.end)
      fs.closeSync(fd)
      for (let i = 20; i < 40; i++) await cl.call(KVService.Put, { key: Buffer.from(`t${i}`), value: Buffer.from('y') })
    } finally {
      cl.close()
    }
    await c.start(victim)
    await c.ready(victim)
    await converge(c, c.members)
    assert.match(victim.proc!.log(), /repaired torn WAL tail/)
    const r = await serializableGet(c, victim, 't', 'u')
    assert.equal(r.count, 40)
  })

  it('refuses to start a member whose cluster token disagrees with its running peers', async () => {
    c = await TestCluster.create(3)
    await Promise.all(c.members.map((m) => c!.ready(m)))
    const m = c.members[0]
    const other = path.join(c.dir, 'stranger.yml')
    const text = fs
      .readFileSync(m.config, 'utf8')
      .replace('etcd-cluster-1', 'another-token')
      .replace(/data-dir: .*/, `data-dir: ${path.join(c.dir, 'stranger')}`)
    const ports = text.match(/listen-client-urls: http:\/\/127.0.0.1:(\d+)/)!
    // A client port of its own that the OS reports free (the member's port + 1 may be taken).
    const [clientPort] = await freePorts(1)
    fs.writeFileSync(
      other,
      text
        .replace(new RegExp(ports[1], 'g'), String(clientPort))
        .replace(/listen-peer-urls: .*/, 'listen-peer-urls: http://127.0.0.1:0'),
    )
    const r = await run(process.execPath, [TSETCD, 'serve', '--config-file', other], { timeoutMs: 15000 })
    assert.equal(r.code, 1)
    assert.match(
      r.stderr,
      /belongs to cluster [0-9a-f]+, but --initial-cluster and --initial-cluster-token give cluster [0-9a-f]+/,
    )
  })
})
