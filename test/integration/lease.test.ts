import assert from 'node:assert/strict'
import { EtcdClient } from '../../src/client/client.js'
import { keepAliveOnce, timeToLive } from '../../src/client/lease.js'
import { KVService, LeaseService } from '../../src/gen/etcdserverpb.js'
import { TestCluster, type ClusterMember } from '../helpers/cluster.js'
import { TSETCD, removeDir, run, startTsetcd, tmpDir, type ServerProc } from '../helpers/procs.js'

const TTL_S = 5
/** How often the leader looks for expired leases (as etcd). */
const EXPIRY_CHECK_MS = 500
const b = (s: string) => Buffer.from(s)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function connect(endpoint: string): Promise<EtcdClient> {
  return EtcdClient.connect({ endpoints: [endpoint], dialTimeoutMs: 3000 })
}

/** Grants a lease with a fixed ID and attaches `key` to it. */
async function leasedKey(c: EtcdClient, id: bigint, key: string, ttl = TTL_S): Promise<void> {
  const g = await c.call(LeaseService.LeaseGrant, { ID: id, TTL: ttl }, 5000)
  assert.deepEqual([g.ID, g.TTL], [id, ttl])
  await c.call(KVService.Put, { key: b(key), value: b('v'), lease: id }, 5000)
}

/** Renews once; the time just before the request went out (the server's renewal is later). */
async function renew(c: EtcdClient, id: bigint): Promise<{ sentAt: number; ttl: number }> {
  const sentAt = Date.now()
  const r = await keepAliveOnce(c, id)
  return { sentAt, ttl: r.TTL }
}

interface Disappearance {
  /** End of the last read that still saw the key. */
  lastSeenAt: number
  /** Start and end of the first read that no longer saw it. */
  goneFrom: number
  goneBy: number
}

/** Polls serializable reads on the given endpoints until the key is gone (reads that fail are skipped). */
async function watchDisappearance(endpoints: string[], key: string, timeoutMs: number): Promise<Disappearance> {
  const clients = await Promise.all(endpoints.map(connect))
  const deadline = Date.now() + timeoutMs
  let lastSeenAt = 0
  try {
    for (let i = 0; Date.now() < deadline; i++) {
      const c = clients[i % clients.length]
      const start = Date.now()
      try {
        const r = await c.call(KVService.Range, { key: b(key), serializable: true }, 1000)
        const end = Date.now()
        if (r.kvs.length === 0) return { lastSeenAt, goneFrom: start, goneBy: end }
        lastSeenAt = end
      } catch {
        // that member is down or busy; the others answer
      }
      await sleep(50)
    }
  } finally {
    for (const c of clients) c.close()
  }
  throw new Error(`${key} still there after ${timeoutMs} ms`)
}

describe('leases on one member', function () {
  this.timeout(120000)
  let s: ServerProc | undefined
  let dir = ''
  let client: EtcdClient | undefined

  const start = async (): Promise<ServerProc> => {
    s = await startTsetcd({
      dataDir: `${dir}/data`,
      extraArgs: ['--experimental-lease-checkpoint-interval', '1s'],
      ...(s ? { clientPort: Number(s.endpoint.split(':')[1]), peerPort: Number(s.peerUrl.split(':')[2]) } : {}),
    })
    client?.close()
    client = await connect(s.endpoint)
    return s
  }

  beforeEach(async () => {
    dir = tmpDir('tsetcd-lease-')
    s = undefined
    await start()
  })
  afterEach(async () => {
    client?.close()
    client = undefined
    await s?.kill9()
    removeDir(dir)
  })

  it('expires a key attached to a 5-second lease after keep-alives stop: never before the TTL, within TTL + one election timeout', async () => {
    await leasedKey(client!, 0x501n, 'ephemeral')
    let last = await renew(client!, 0x501n)
    for (let i = 0; i < 3; i++) {
      await sleep(1500)
      last = await renew(client!, 0x501n)
    }
    assert.equal(last.ttl, TTL_S)
    const d = await watchDisappearance([s!.endpoint], 'ephemeral', 20000)
    const electionMs = 1000
    assert.ok(
      d.goneBy >= last.sentAt + TTL_S * 1000,
      `gone ${d.goneBy - last.sentAt} ms after the last renewal, before the TTL`,
    )
    assert.ok(
      d.goneFrom <= last.sentAt + TTL_S * 1000 + electionMs,
      `still there ${d.goneFrom - last.sentAt} ms after the last renewal`,
    )
    const ttl = await timeToLive(client!, 0x501n, false)
    assert.equal(ttl.TTL, -1, 'the lease is gone with its key')
  })

  it('revokes: the attached keys are deleted in one revision, other keys stay', async () => {
    await client!.call(LeaseService.LeaseGrant, { ID: 0x777n, TTL: 60 }, 5000)
    for (const k of ['r1', 'r2', 'r3'])
      await client!.call(KVService.Put, { key: b(k), value: b('v'), lease: 0x777n }, 5000)
    await client!.call(KVService.Put, { key: b('r4'), value: b('v') }, 5000)
    const before = (await client!.call(KVService.Range, { key: b('r1') }, 5000)).header!.revision
    const res = await run(process.execPath, [TSETCD, '--endpoints', s!.endpoint, 'lease', 'revoke', '777'])
    assert.deepEqual([res.stdout, res.code], ['lease 0000000000000777 revoked\n', 0])
    const after = await client!.call(KVService.Range, { key: b('r'), range_end: b('s') }, 5000)
    assert.equal(after.header!.revision, before + 1)
    assert.deepEqual(
      after.kvs.map((kv) => [kv.key.toString(), kv.mod_revision]),
      [['r4', before]],
    )
  })

  it("refuses a put with an unknown lease with etcd's error", async () => {
    const res = await run(process.execPath, [TSETCD, '--endpoints', s!.endpoint, 'put', '--lease=abc', 'k', 'v'])
    assert.deepEqual([res.stdout, res.stderr, res.code], ['', 'Error: etcdserver: requested lease not found\n', 1])
    const r = await client!.call(KVService.Range, { key: b('k') }, 5000)
    assert.equal(r.count, 0)
  })

  it('keeps the remaining TTL (checkpointed) and the attached keys across a restart', async () => {
    await leasedKey(client!, 0x3an, 'durable', 30)
    await sleep(4000)
    await s!.stop()
    await start()
    const t = await timeToLive(client!, 0x3an, true)
    assert.equal(t.grantedTTL, 30)
    assert.ok(t.TTL <= 28 && t.TTL >= 20, `remaining ${t.TTL}s after 4 s and a restart (a reset would give 30 + 1)`)
    assert.deepEqual(t.keys.map(String), ['durable'])
  })
})

describe('leases on a three-member cluster', function () {
  this.timeout(180000)
  const electionMs = 500
  let c: TestCluster | undefined
  afterEach(async () => {
    await c?.stopAll()
    c?.remove()
    c = undefined
  })

  async function cluster(): Promise<{ leader: ClusterMember; followers: ClusterMember[] }> {
    c = await TestCluster.create(3, { 'experimental-lease-checkpoint-interval': '1s' })
    await Promise.all(c.members.map((m) => c!.ready(m)))
    const leader = await c.leader()
    return { leader, followers: c.members.filter((m) => m !== leader) }
  }

  it('forwards keep-alives sent to a follower to the leader, and expires the key on time once they stop', async () => {
    const { leader, followers } = await cluster()
    const onLeader = await connect(leader.endpoint)
    const onFollower = await connect(followers[0].endpoint)
    try {
      await leasedKey(onLeader, 0xf0n, 'kept')
      let last = await renew(onFollower, 0xf0n)
      // Three TTLs of renewals through the follower only: the leader's lessor must see them.
      for (const until = Date.now() + 3 * TTL_S * 1000; Date.now() < until;) {
        await sleep(1500)
        last = await renew(onFollower, 0xf0n)
      }
      const kept = await onLeader.call(KVService.Range, { key: b('kept') }, 5000)
      assert.equal(kept.count, 1, 'the key outlived its TTL three times over')
      const seen = await timeToLive(onFollower, 0xf0n, true)
      assert.ok(
        seen.TTL >= TTL_S - 2 && seen.TTL <= TTL_S,
        `leader's remaining TTL ${seen.TTL}, asked through a follower`,
      )
      assert.deepEqual(seen.keys.map(String), ['kept'])
      const d = await watchDisappearance(c!.endpoints, 'kept', 20000)
      assert.ok(d.goneBy >= last.sentAt + TTL_S * 1000, `gone ${d.goneBy - last.sentAt} ms after the last renewal`)
      // This cluster's election timeout (500 ms) is as short as the leader's expiry check interval.
      const bound = TTL_S * 1000 + electionMs + EXPIRY_CHECK_MS
      assert.ok(
        d.goneFrom <= last.sentAt + bound,
        `still there ${d.goneFrom - last.sentAt} ms after the last renewal (bound ${bound})`,
      )
    } finally {
      onLeader.close()
      onFollower.close()
    }
  })

  it('with the leader killed (-9) after the last keep-alive, the new leader expires the key neither early nor late', async () => {
    const { leader, followers } = await cluster()
    const onFollower = await connect(followers[0].endpoint)
    let last: { sentAt: number; ttl: number }
    try {
      await leasedKey(onFollower, 0xdeadn, 'survivor')
      await sleep(1000)
      last = await renew(onFollower, 0xdeadn)
    } finally {
      onFollower.close()
    }
    // Let the leader checkpoint the remaining TTL (every second here), then kill it.
    await sleep(3500)
    await leader.proc!.kill9()
    const d = await watchDisappearance(
      followers.map((m) => m.endpoint),
      'survivor',
      30000,
    )
    const after = d.goneBy - last.sentAt
    assert.ok(d.goneBy >= last.sentAt + TTL_S * 1000, `gone ${after} ms after the last renewal, before the TTL`)
    // New leader: elected within 2 election timeouts, then (checkpointed remaining TTL, at most
    // one interval + 1 s rounding stale) + one election timeout of grace.
    const bound = TTL_S * 1000 + 2 * electionMs + 1000 + 1000 + electionMs + 500
    assert.ok(
      d.goneFrom - last.sentAt <= bound,
      `still there ${d.goneFrom - last.sentAt} ms after the last renewal (bound ${bound})`,
    )
    const cl = await connect(followers[1].endpoint)
    try {
      assert.equal((await timeToLive(cl, 0xdeadn, false)).TTL, -1, 'the new leader revoked the lease')
    } finally {
      cl.close()
    }
  })
})
