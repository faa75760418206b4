/**
 * Three members with a small --snapshot-count: a follower that installed the leader's
 * snapshot restarts (kill -9 and SIGTERM) with all data; a leader restarts after its own
 * snapshots; a forged peer message with a term beyond 2^53 is dropped and the cluster
 * keeps its leader.
 */
import assert from 'node:assert/strict'
import http2 from 'node:http2'
import type { EtcdClient } from '../../src/client/client.js'
import { KVService, MaintenanceService } from '../../src/gen/etcdserverpb.js'
import { encodeMessage, MessageType } from '../../src/gen/raftpb.js'
import { Writer, sizeVarint } from '../../src/proto/wire.js'
import { TestCluster, type ClusterMember } from '../helpers/cluster.js'
import { waitFor } from '../helpers/wait.js'

const enc = (s: string) => Buffer.from(s)

async function putRange(c: TestCluster, m: ClusterMember, from: number, to: number): Promise<void> {
  const client = await c.client(m)
  try {
    let next = from
    const worker = async () => {
      while (next < to) {
        const i = next++
        await client.call(KVService.Put, { key: enc(`k/${i}`), value: enc(`v${i}`) }, 10000)
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker))
  } finally {
    client.close()
  }
}

/** Waits until `m` serves all n keys from its own store (serializable), with their values. */
async function hasAll(c: TestCluster, m: ClusterMember, n: number, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: string
  for (;;) {
    // A member just started may not answer its first dial in time: that is retried too.
    let client: EtcdClient | undefined
    try {
      client = await c.client(m)
      const r = await client.call(KVService.Range, { key: enc('k/'), range_end: enc('k0'), serializable: true }, 3000)
      const got = new Map(r.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]))
      let ok = got.size === n
      for (let i = 0; ok && i < n; i++) ok = got.get(`k/${i}`) === `v${i}`
      if (ok) return
      last = `${got.size} of ${n} keys`
    } catch (err) {
      last = (err as Error).message
    } finally {
      client?.close()
    }
    if (Date.now() > deadline) throw new Error(`${m.name} does not serve all ${n} keys: ${last}\n${m.proc?.log()}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

async function status(c: TestCluster, m: ClusterMember) {
  const client = await c.client(m)
  try {
    return await client.call(MaintenanceService.Status, {}, 3000)
  } finally {
    client.close()
  }
}

describe('a three-member cluster restarts around snapshots', function () {
  this.timeout(180000)
  let c: TestCluster | undefined
  afterEach(async () => {
    await c?.stopAll()
    c?.remove()
    c = undefined
  })

  it('a follower that installed the leader snapshot restarts, by kill -9 and by SIGTERM, with every write', async () => {
    c = await TestCluster.create(3, { 'snapshot-count': 10 })
    const leader = await c.leader()
    const follower = c.members.find((m) => m !== leader)!
    await putRange(c, leader, 0, 20)
    await hasAll(c, follower, 20)
    assert.equal(await follower.proc!.stop(), 0)
    await putRange(c, leader, 20, 200)
    await c.start(follower)
    await hasAll(c, follower, 200)
    // The new database serves as soon as it is open; the member logs the install once the
    // rest of it (lessor, watchers) is done, and the line comes through a pipe.
    await waitFor(
      () => /applied snapshot from leader/.test(follower.proc!.log()),
      10000,
      `"applied snapshot from leader" in ${follower.name}'s log`,
    )
    await follower.proc!.kill9()
    await putRange(c, leader, 200, 230)
    await c.start(follower)
    await hasAll(c, follower, 230)
    assert.equal(await follower.proc!.stop(), 0)
    await c.start(follower)
    await hasAll(c, follower, 230)
    for (const m of c.members) assert.doesNotMatch(m.proc!.log(), /raft loop failed/, m.name)
  })

  it('the leader restarts after its snapshots; the others elect a leader and it catches up', async () => {
    c = await TestCluster.create(3, { 'snapshot-count': 5 })
    const leader = await c.leader()
    await putRange(c, leader, 0, 50)
    await leader.proc!.kill9()
    const next = await c.leader(15000)
    await putRange(c, next, 50, 120)
    await c.start(leader)
    await hasAll(c, leader, 120)
    assert.equal(await leader.proc!.stop(), 0)
    await c.start(leader)
    await hasAll(c, leader, 120)
    for (const m of c.members) await hasAll(c, m, 120)
  })

  it('a forged heartbeat with a term beyond 2^53 is dropped; the cluster keeps serving', async () => {
    c = await TestCluster.create(3)
    const leader = await c.leader()
    const other = c.members.find((m) => m !== leader)!
    const st = await status(c, leader)
    const otherId = (await status(c, other)).header!.member_id
    const session = http2.connect(`http://127.0.0.1:${leader.peerPort}`)
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/raft/stream',
        'content-type': 'application/octet-stream',
        'x-tsetcd-peer-protocol': '1',
        'x-tsetcd-from': otherId.toString(16),
        'x-tsetcd-to': st.header!.member_id.toString(16),
        'x-tsetcd-cluster-id': st.header!.cluster_id.toString(16),
      })
      const msg = encodeMessage({
        type: MessageType.MsgHeartbeat,
        to: st.header!.member_id,
        from: otherId,
        term: 2 ** 62,
        commit: 0,
      })
      const w = new Writer(sizeVarint(msg.length))
      w.varint(msg.length)
      stream.write(Buffer.concat([w.finish(), msg]))
      await new Promise((r) => setTimeout(r, 1000))
      stream.close()
    } finally {
      session.close()
    }
    await putRange(c, leader, 0, 10)
    const after = await c.leader(10000)
    const s2 = await status(c, after)
    assert.ok(s2.raftTerm < 2n ** 53n, `term ${s2.raftTerm}`)
    for (const m of c.members) {
      await hasAll(c, m, 10)
      assert.doesNotMatch(m.proc!.log(), /raft loop failed/, m.name)
    }
    assert.match(leader.proc!.log(), /dropped peer message with out-of-range numbers/)
  })
})
