/**
 * A cluster grows 3 → 5 and shrinks back to 3 under a steady write load (--snapshot-count 40,
 * so members that fall behind are sent snapshots). A follower behind while a member joins
 * gets the new membership in a snapshot and talks to the newcomer without a restart: with
 * leadership moved to the newcomer and two other members behind, writes commit only if they
 * do. The leader is then removed (leadership is handed over first) along with another
 * member, and no acknowledged write is lost.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { EtcdClient } from '../../src/client/client.js'
import { KVService, MaintenanceService } from '../../src/gen/etcdserverpb.js'
import { TestCluster, type ClusterMember } from '../helpers/cluster.js'
import { ETCDCTL, TSETCD, freePorts, haveBinary, run, startTsetcd } from '../helpers/procs.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('membership: growing 3 → 5 and shrinking back to 3 under load', function () {
  this.timeout(240_000)
  let c: TestCluster
  const acked = new Map<string, string>()
  const ids = new Map<ClusterMember, bigint>()
  const clients: EtcdClient[] = []

  const peerUrl = (m: ClusterMember) => `http://127.0.0.1:${m.peerPort}`
  const hex = (m: ClusterMember) => ids.get(m)!.toString(16)
  const ctl = (tool: 'etcdctl' | 'tsetcd', via: ClusterMember, ...args: string[]) =>
    tool === 'etcdctl'
      ? run(ETCDCTL, ['--endpoints', via.endpoint, ...args])
      : run(process.execPath, [TSETCD, '--endpoints', via.endpoint, ...args])

  async function client(m: ClusterMember): Promise<EtcdClient> {
    const cl = await c.client(m)
    clients.push(cl)
    return cl
  }

  async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    let last: unknown
    while (Date.now() < deadline) {
      try {
        const v = await fn()
        if (v !== undefined) return v
      } catch (err) {
        last = err
      }
      await sleep(200)
    }
    throw new Error(`${what}: not within ${timeoutMs} ms (${(last as Error)?.message ?? 'no result'})`)
  }

  async function memberId(m: ClusterMember): Promise<bigint> {
    const cl = await client(m)
    return (await until(`${m.name} answers`, () => cl.call(MaintenanceService.Status, {}, 2000))).header!.member_id
  }

  /** `member add` (retried while the cluster is not yet healthy enough), then the new host started. */
  async function join(tool: 'etcdctl' | 'tsetcd', via: ClusterMember, name: string, learner: boolean) {
    const [clientPort, peerPort] = await freePorts(2)
    const m: ClusterMember = { name, config: '', clientPort, peerPort, endpoint: `127.0.0.1:${clientPort}` }
    const out = await until(`member add ${name}`, async () => {
      const r = await ctl(
        tool,
        via,
        'member',
        'add',
        name,
        `--peer-urls=${peerUrl(m)}`,
        ...(learner ? ['--learner'] : []),
      )
      if (r.code === 0) return r.stdout
      if (!/unhealthy cluster|not enough started/.test(r.stderr)) throw new Error(`member add: ${r.stderr}`)
      return undefined
    })
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(out)![1]
    c.members.push(m)
    m.proc = await startTsetcd({
      clientPort,
      peerPort,
      ready: false,
      args: [
        ...['--name', name, '--data-dir', path.join(c.dir, name, 'data')],
        ...['--listen-client-urls', `http://${m.endpoint}`, '--advertise-client-urls', `http://${m.endpoint}`],
        ...['--listen-peer-urls', peerUrl(m), '--initial-advertise-peer-urls', peerUrl(m)],
        ...['--initial-cluster', initialCluster, '--initial-cluster-state', 'existing'],
        ...['--heartbeat-interval', '50', '--election-timeout', '500', '--snapshot-count', '40'],
      ],
    })
    ids.set(m, await memberId(m))
    return m
  }

  /**
   * Every write acknowledged before the call, read serializably from `m` once it has caught up
   * (writes acknowledged meanwhile are checked by a later call: a member that applies a moment
   * after the writer's acknowledgement would otherwise never be seen to have caught up).
   */
  async function checkAcked(m: ClusterMember): Promise<void> {
    const cl = await client(m)
    const want = new Map(acked)
    await until(`${m.name} has every acknowledged write`, async () => {
      const r = await cl.call(
        KVService.Range,
        { key: Buffer.from('g'), range_end: Buffer.from('h'), serializable: true },
        5000,
      )
      const got = new Map(r.kvs.map((kv) => [Buffer.from(kv.key).toString(), Buffer.from(kv.value).toString()]))
      for (const [k, v] of want) if (got.get(k) !== v) return undefined
      return true
    })
  }

  before(async function () {
    if (!haveBinary(ETCDCTL)) this.skip()
    c = await TestCluster.create(3, { 'snapshot-count': 40 })
    await Promise.all(c.members.map((m) => c.ready(m)))
    for (const m of c.members) ids.set(m, await memberId(m))
  })

  after(async () => {
    for (const cl of clients) cl.close()
    for (const m of c?.members ?? []) m.proc?.proc.kill('SIGCONT')
    await c?.stopAll()
    c?.remove()
  })

  it('grows and shrinks while writes go on; a member that was behind learns new members from a snapshot', async () => {
    const lead = await c.leader()
    const [behind, writer] = c.members.filter((m) => m !== lead)
    let writing = true
    let n = 0
    const load = (async () => {
      const cl = await client(writer)
      while (writing) {
        const key = `g-${String(n++).padStart(5, '0')}`
        try {
          await cl.call(KVService.Put, { key: Buffer.from(key), value: Buffer.from(key) }, 2000)
          acked.set(key, key)
        } catch {
          await sleep(50) // not acknowledged: may or may not be there
        }
      }
    })()
    const writes = async (count: number) => {
      const target = acked.size + count
      await until(`${count} more acknowledged writes`, async () => (acked.size >= target ? true : undefined))
    }

    // 3 → 4: a learner joins while a follower is down; the leader's log moves past the follower,
    // which restarts knowing only the first three and is sent a snapshot.
    await behind.proc!.kill9()
    const m4 = await join('tsetcd', writer, 'm4', true)
    await writes(150)
    await c.start(behind)
    await until('the behind member installs a snapshot naming m4', async () =>
      new RegExp(`peers updated from the installed snapshot.*"added":\\[[^\\]]*${hex(m4)}`).test(behind.proc!.log())
        ? true
        : undefined,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}\n${behind
          .proc!.log()
          .split('\n')
          .filter((l) => !l.includes('saved snapshot'))
          .slice(-40)
          .join('\n')}`,
      )
    })
    // Before anything else tells it of m4, the member that was behind takes m4's peer stream.
    await until('m4 connected to the member that was behind', async () =>
      new RegExp(`"peer became active","peer":"${hex(behind)}"`).test(m4.proc!.log()) ? true : undefined,
    )
    await checkAcked(m4)
    await until('m4 promoted', async () => {
      const r = await ctl('tsetcd', writer, 'member', 'promote', hex(m4))
      if (r.code === 0) return true
      if (!/in sync with leader/.test(r.stderr)) throw new Error(r.stderr)
      return undefined
    })

    // 4 → 5 with etcdctl.
    const m5 = await join('etcdctl', writer, 'm5', false)
    await writes(50)
    for (const m of c.members) await checkAcked(m)

    // The member that was behind talks to m4: with m4 leading and two others behind, writes
    // through it commit only with its acknowledgements reaching m4.
    const moved = await until('leadership moved to m4', async () => {
      const r = await ctl('tsetcd', await c.leader(), 'move-leader', hex(m4))
      return r.code === 0 ? r.stdout : undefined
    })
    assert.match(moved, new RegExp(` to ${hex(m4)}\n$`))
    for (const m of [lead, writer]) m.proc!.proc.kill('SIGSTOP')
    const via = await client(behind)
    for (let i = 0; i < 5; i++) {
      const key = `g-quorum-${i}`
      await until(`write ${key} through the member that was behind`, () =>
        via.call(KVService.Put, { key: Buffer.from(key), value: Buffer.from(key) }, 3000),
      )
      acked.set(key, key)
    }
    for (const m of [lead, writer]) m.proc!.proc.kill('SIGCONT')
    await writes(30)

    // 5 → 3: remove the leader (m4, through a follower: leadership is handed over first) and
    // the first leader.
    const r4 = await until('m4 removed', async () => {
      const r = await ctl('tsetcd', m5, 'member', 'remove', hex(m4))
      if (r.code === 0) return r
      if (!/not enough started|unhealthy/.test(r.stderr)) throw new Error(r.stderr)
      return undefined
    })
    assert.match(r4.stdout, new RegExp(`^Member {0,15}${hex(m4)} removed from cluster`))
    assert.match(m5.proc!.log() + m4.proc!.log(), /removing the leader: transferring leadership first/)
    const rl = await until('the first leader removed', async () => {
      const r = await ctl('etcdctl', writer, 'member', 'remove', hex(lead))
      if (r.code === 0) return r
      if (!/not enough started|unhealthy/.test(r.stderr)) throw new Error(r.stderr)
      return undefined
    })
    assert.equal(rl.code, 0)
    await writes(30)
    writing = false
    await load

    const rest = [behind, writer, m5]
    const list = await ctl('etcdctl', writer, 'member', 'list')
    assert.equal(list.stdout.trim().split('\n').length, 3, list.stdout)
    for (const m of rest) assert.match(list.stdout, new RegExp(`^${hex(m)}, started, `, 'm'))
    for (const m of rest) await checkAcked(m)
    assert.ok(acked.size > 250, `writes went on throughout (${acked.size} acknowledged)`)
  })
})
