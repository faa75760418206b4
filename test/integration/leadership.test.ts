/**
 * One 3-member cluster for the leader and hash operations of Maintenance: MoveLeader (with
 * `move-leader` from etcdctl and from tsetcd, and its refusals), Hash (the whole backend, the
 * same on every member at the same applied index) and `endpoint hashkv` (tsetcd prints what
 * etcdctl prints, in every format).
 */
import assert from 'node:assert/strict'
import { EtcdClient } from '../../src/client/client.js'
import { ClusterService, KVService, MaintenanceService } from '../../src/gen/etcdserverpb.js'
import { TestCluster, type ClusterMember } from '../helpers/cluster.js'
import { ETCDCTL, TSETCD, freePorts, haveBinary, run, userStderr } from '../helpers/procs.js'
import { sideBySide } from '../interop/side-by-side.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('leadership and hashes on a 3-member cluster', function () {
  this.timeout(120_000)
  let c: TestCluster
  const ids = new Map<ClusterMember, bigint>()
  let clients: EtcdClient[] = []

  async function client(m: ClusterMember): Promise<EtcdClient> {
    const cl = await c.client(m)
    clients.push(cl)
    return cl
  }

  const hex = (m: ClusterMember) => ids.get(m)!.toString(16)
  const tsetcd = (eps: ClusterMember[], ...args: string[]) =>
    run(process.execPath, [TSETCD, '--endpoints', eps.map((m) => m.endpoint).join(','), ...args])
  const etcdctl = (eps: ClusterMember[], ...args: string[]) =>
    run(ETCDCTL, ['--endpoints', eps.map((m) => m.endpoint).join(','), ...args])

  before(async function () {
    if (!haveBinary(ETCDCTL)) this.skip()
    c = await TestCluster.create(3)
    await Promise.all(c.members.map((m) => c.ready(m)))
    for (const m of c.members) {
      const s = await (await client(m)).call(MaintenanceService.Status, {}, 2000)
      ids.set(m, s.header!.member_id)
    }
  })

  afterEach(() => {
    for (const cl of clients) cl.close()
    clients = []
  })

  after(async () => {
    for (const cl of clients) cl.close()
    await c?.stopAll()
    c?.remove()
  })

  it('move-leader: tsetcd and etcdctl find the leader among the endpoints and hand leadership over', async () => {
    const lead = await c.leader()
    const target = c.members.find((m) => m !== lead)!
    const ours = await tsetcd(c.members, 'move-leader', hex(target))
    assert.equal(ours.code, 0, ours.stderr)
    assert.equal(ours.stdout, `Leadership transferred from ${hex(lead)} to ${hex(target)}\n`)
    // MoveLeader answers once the target leads: its status says so at once.
    const s = await (await client(target)).call(MaintenanceService.Status, {}, 2000)
    assert.equal(s.leader, ids.get(target))

    const theirs = await etcdctl(c.members, 'move-leader', hex(lead))
    assert.equal(theirs.code, 0, theirs.stderr)
    assert.equal(theirs.stdout, `Leadership transferred from ${hex(target)} to ${hex(lead)}\n`)
    assert.equal((await c.leader()).name, lead.name)
    // The cluster serves writes under its new leader.
    await (await client(target)).call(KVService.Put, { key: Buffer.from('after-move'), value: Buffer.from('v') }, 5000)
  })

  it('move-leader refusals: etcd errors, the same output and exit status as etcdctl', async () => {
    const lead = await c.leader()
    const followers = c.members.filter((m) => m !== lead)
    const eps = (ms: ClusterMember[]) => ['--endpoints', ms.map((m) => m.endpoint).join(',')]
    const cases: string[][] = [
      // no leader among the endpoints given
      [...eps(followers), 'move-leader', hex(lead)],
      // unknown member
      [...eps(c.members), 'move-leader', '1234abcd'],
      // bad arguments
      [...eps(c.members), 'move-leader', 'zz'],
      [...eps(c.members), 'move-leader', '1ffffffffffffffff'],
      [...eps(c.members), 'move-leader'],
    ]
    for (const args of cases) {
      const { theirs, ours } = await sideBySide(args)
      assert.deepEqual(ours, theirs, args.join(' '))
    }
    const unknown = await sideBySide([...eps(c.members), 'move-leader', '1234abcd'])
    assert.equal(unknown.ours.stderr, 'Error: etcdserver: bad leader transferee')
    assert.equal(unknown.ours.code, 1)
    const noLeader = await sideBySide([...eps(followers), 'move-leader', hex(lead)])
    assert.match(noLeader.ours.stderr, /^Error: no leader endpoint given at \[/)

    // Asked of a follower directly, MoveLeader is refused.
    await assert.rejects(
      (await client(followers[0])).call(MaintenanceService.MoveLeader, { targetID: ids.get(followers[1])! }, 2000),
      /etcdserver: not leader/,
    )
    // Moving to the leader itself is a no-op that succeeds, as etcd's.
    await (await client(lead)).call(MaintenanceService.MoveLeader, { targetID: ids.get(lead)! }, 2000)
    assert.equal((await c.leader()).name, lead.name)
  })

  /** Hash on every member once all have applied the same index (nothing applied meanwhile). */
  async function hashes(): Promise<{ hash: number; revision: number }[]> {
    const cls = await Promise.all(c.members.map((m) => client(m)))
    for (let i = 0; i < 100; i++) {
      const before = await Promise.all(cls.map((cl) => cl.call(MaintenanceService.Status, {}, 2000)))
      const applied = new Set(before.map((s) => s.raftAppliedIndex))
      if (applied.size === 1) {
        const hs = await Promise.all(cls.map((cl) => cl.call(MaintenanceService.Hash, {}, 5000)))
        const after = await Promise.all(cls.map((cl) => cl.call(MaintenanceService.Status, {}, 2000)))
        if (after.every((s) => s.raftAppliedIndex === before[0].raftAppliedIndex))
          return hs.map((h) => ({ hash: h.hash, revision: h.header!.revision }))
      }
      await sleep(100)
    }
    throw new Error('the members never settled at one applied index')
  }

  it('Hash: the same on every member at the same applied index; a write changes it', async () => {
    const cl = await client(c.members[0])
    for (let i = 0; i < 20; i++)
      await cl.call(KVService.Put, { key: Buffer.from(`h${i % 7}`), value: Buffer.from(`v${i}`) }, 5000)
    const first = await hashes()
    for (const h of first) assert.deepEqual(h, first[0])
    const put = await cl.call(KVService.Put, { key: Buffer.from('h0'), value: Buffer.from('changed') }, 5000)
    const second = await hashes()
    for (const h of second) assert.deepEqual(h, second[0])
    assert.notEqual(second[0].hash, first[0].hash)
    assert.equal(second[0].revision, put.header!.revision)
  })

  it('endpoint hashkv: tsetcd prints what etcdctl prints in every format, with --cluster and --rev', async () => {
    await hashes() // every member at the same revision
    const all = ['--endpoints', c.members.map((m) => m.endpoint).join(',')]
    const one = ['--endpoints', c.members[1].endpoint]
    for (const w of ['simple', 'json', 'table', 'fields', 'protobuf']) {
      for (const args of [
        [...all, 'endpoint', 'hashkv', '-w', w],
        [...one, 'endpoint', 'hashkv', '--cluster', '-w', w],
        [...one, 'endpoint', 'hashkv', '--rev', '5', '-w', w],
      ]) {
        const { theirs, ours } = await sideBySide(args)
        assert.deepEqual(ours, theirs, args.join(' '))
      }
    }
    const simple = await sideBySide([...all, 'endpoint', 'hashkv'])
    assert.equal(simple.ours.stdout.split('\n').filter(Boolean).length, 3)
    // A failing endpoint and a bad --rev.
    const [dead] = await freePorts(1)
    for (const args of [
      ['--endpoints', `${c.members[0].endpoint},127.0.0.1:${dead}`, 'endpoint', 'hashkv', '--command-timeout=1s'],
      [...one, 'endpoint', 'hashkv', '--rev', '100000'],
      [...one, 'endpoint', 'hashkv', '--rev', 'abc'],
    ]) {
      const theirs = await run(ETCDCTL, args)
      const ours = await run(process.execPath, [TSETCD, ...args])
      // (etcdctl also prints its usage on stdout for a flag it cannot parse)
      if (!args.includes('abc')) assert.equal(ours.stdout, theirs.stdout, args.join(' '))
      assert.equal(userStderr(ours.stderr).split('\n')[0], userStderr(theirs.stderr).split('\n')[0], args.join(' '))
      assert.equal(ours.code, theirs.code, args.join(' '))
    }
  })

  // Last: it stops two members.
  it('MemberList with linearizable waits for a ReadIndex: refused without a quorum, where a plain one answers', async () => {
    const [m1, m2, m3] = c.members
    const c1 = await client(m1)
    const ok = await c1.call(ClusterService.MemberList, { linearizable: true }, 5000)
    assert.equal(ok.members.length, 3)
    await Promise.all([m2.proc!.kill9(), m3.proc!.kill9()])
    const plain = await c1.call(ClusterService.MemberList, {}, 5000)
    assert.equal(plain.members.length, 3)
    await assert.rejects(
      c1.call(ClusterService.MemberList, { linearizable: true }, 3000),
      /etcdserver: no leader|etcdserver: leader changed|etcdserver: request timed out|deadline exceeded/,
    )
  })
})
