/**
 * Changing a running cluster with real processes: grow 1 → 3 with `member add` and hosts
 * started with --initial-cluster-state=existing (once with etcdctl, once with tsetcd's
 * commands); a learner added under a write load catches up and is promoted; the leader is
 * removed and a new one elected; a dead member is replaced; a removed member refuses to serve;
 * bad requests get etcd's errors while the cluster keeps serving. No acknowledged write is lost.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { EtcdClient } from '../../src/client/client.js'
import { ClusterService, KVService, MaintenanceService } from '../../src/gen/etcdserverpb.js'
import {
  ETCDCTL,
  TSETCD,
  freePorts,
  haveBinary,
  removeDir,
  run,
  startTsetcd,
  tmpDir,
  type ServerProc,
} from '../helpers/procs.js'

interface Host {
  name: string
  clientPort: number
  peerPort: number
  dataDir: string
  proc?: ServerProc
  id?: bigint
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function exited(p: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (p.exitCode !== null) return Promise.resolve(p.exitCode)
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('process did not exit')), timeoutMs)
    p.once('exit', (code) => {
      clearTimeout(t)
      resolve(code)
    })
  })
}

describe('membership: changing a running cluster', function () {
  this.timeout(180_000)
  const dir = tmpDir('tsetcd-membership-')
  const hosts: Host[] = []
  const acked = new Map<string, string>()
  let clients: EtcdClient[] = []

  const peerUrl = (h: Host) => `http://127.0.0.1:${h.peerPort}`
  const endpoint = (h: Host) => `127.0.0.1:${h.clientPort}`
  const live = () => hosts.filter((h) => h.proc && h.proc.proc.exitCode === null && h.proc.proc.signalCode === null)

  async function newHost(name: string): Promise<Host> {
    const [clientPort, peerPort] = await freePorts(2)
    const h = { name, clientPort, peerPort, dataDir: path.join(dir, name) }
    hosts.push(h)
    return h
  }

  async function launch(h: Host, initialCluster: string, state: 'new' | 'existing', ready = true): Promise<void> {
    h.proc = await startTsetcd({
      clientPort: h.clientPort,
      peerPort: h.peerPort,
      ready,
      args: [
        '--name',
        h.name,
        '--data-dir',
        h.dataDir,
        '--listen-client-urls',
        `http://${endpoint(h)}`,
        '--advertise-client-urls',
        `http://${endpoint(h)}`,
        '--listen-peer-urls',
        peerUrl(h),
        '--initial-advertise-peer-urls',
        peerUrl(h),
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        state,
        '--heartbeat-interval',
        '50',
        '--election-timeout',
        '500',
      ],
    })
  }

  async function client(h: Host): Promise<EtcdClient> {
    const c = await EtcdClient.connect({ endpoints: [endpoint(h)], dialTimeoutMs: 3000 })
    clients.push(c)
    return c
  }

  function ctl(tool: 'etcdctl' | 'tsetcd', eps: Host[], ...args: string[]) {
    const e = ['--endpoints', eps.map(endpoint).join(',')]
    return tool === 'etcdctl' ? run(ETCDCTL, [...e, ...args]) : run(process.execPath, [TSETCD, ...e, ...args])
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

  /** `member add` until the cluster is healthy enough to take it (etcd waits 5 s after a peer connects). */
  async function add(tool: 'etcdctl' | 'tsetcd', via: Host, h: Host, learner = false): Promise<string> {
    return until(`member add ${h.name}`, async () => {
      const r = await ctl(
        tool,
        [via],
        'member',
        'add',
        h.name,
        `--peer-urls=${peerUrl(h)}`,
        ...(learner ? ['--learner'] : []),
      )
      if (r.code === 0) return r.stdout
      if (!/unhealthy cluster|not enough started/.test(r.stderr))
        throw new Error(`member add failed for good: ${r.stderr}`)
      return undefined
    })
  }

  async function put(h: Host, key: string, value: string): Promise<void> {
    const c = await client(h)
    await c.call(KVService.Put, { key: Buffer.from(key), value: Buffer.from(value) }, 5000)
    acked.set(key, value)
  }

  async function status(h: Host) {
    const c = await client(h)
    return c.call(MaintenanceService.Status, {}, 2000)
  }

  /** Every acknowledged write, read serializably from `h` once it has caught up. */
  async function checkAcked(h: Host): Promise<void> {
    const c = await client(h)
    await until(`${h.name} has every acknowledged write`, async () => {
      const r = await c.call(
        KVService.Range,
        { key: Buffer.from('k'), range_end: Buffer.from('l'), serializable: true },
        2000,
      )
      const got = new Map(r.kvs.map((kv) => [Buffer.from(kv.key).toString(), Buffer.from(kv.value).toString()]))
      for (const [k, v] of acked) if (got.get(k) !== v) return undefined
      return true
    })
  }

  async function leader(among = live()): Promise<Host> {
    return until('a leader', async () => {
      for (const h of among) {
        const s = await status(h).catch(() => undefined)
        if (s && s.leader !== 0n && s.leader === s.header?.member_id) return h
      }
      return undefined
    })
  }

  before(function () {
    if (!haveBinary(ETCDCTL)) this.skip()
  })

  afterEach(() => {
    for (const c of clients) c.close()
    clients = []
  })

  after(async () => {
    for (const c of clients) c.close()
    await Promise.all(hosts.map((h) => h.proc?.kill9()))
    removeDir(dir)
  })

  it('grows from 1 to 3 members: etcdctl adds the second, tsetcd the third; each starts with --initial-cluster-state=existing', async () => {
    const [h1, h2, h3] = [await newHost('m1'), await newHost('m2'), await newHost('m3')]
    await launch(h1, `m1=${peerUrl(h1)}`, 'new')
    await put(h1, 'k-000', 'before')
    // The last voter cannot be removed: etcd's error, and the member keeps serving.
    const only = (await status(h1)).header!.member_id.toString(16)
    for (const tool of ['etcdctl', 'tsetcd'] as const) {
      const r = await ctl(tool, [h1], 'member', 'remove', only)
      assert.equal(r.code, 1)
      assert.match(r.stderr, /Error: etcdserver: re-configuration failed due to not enough started members\n$/)
    }
    await put(h1, 'k-000', 'before')

    const out2 = await add('etcdctl', h1, h2)
    const cluster2 = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(out2)![1]
    assert.match(out2, /^Member +[0-9a-f]+ added to cluster +[0-9a-f]+\n\nETCD_NAME="m2"\n/)
    assert.equal(cluster2.split(',').sort().join(','), [`m1=${peerUrl(h1)}`, `m2=${peerUrl(h2)}`].sort().join(','))
    assert.match(
      out2,
      new RegExp(`ETCD_INITIAL_ADVERTISE_PEER_URLS="${peerUrl(h2)}"\nETCD_INITIAL_CLUSTER_STATE="existing"\n$`),
    )
    const unstarted = await ctl('etcdctl', [h1], 'member', 'list')
    assert.match(unstarted.stdout, new RegExp(`, unstarted, , ${peerUrl(h2)}, , false\n`))
    await launch(h2, cluster2, 'existing')
    await put(h2, 'k-001', 'after m2')

    const out3 = await add('tsetcd', h2, h3)
    const cluster3 = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(out3)![1]
    assert.equal(cluster3.split(',').length, 3)
    await launch(h3, cluster3, 'existing')
    await put(h3, 'k-002', 'after m3')

    for (const h of [h1, h2, h3]) await checkAcked(h)
    // Every member lists the three, started, with their client URLs; tsetcd prints what etcdctl prints.
    for (const h of [h1, h2, h3]) {
      const list = await until('every member started in the list', async () => {
        const r = await ctl('etcdctl', [h], 'member', 'list')
        return r.stdout.split('\n').filter((l) => l.includes(', started, ')).length === 3 ? r.stdout : undefined
      })
      for (const x of [h1, h2, h3])
        assert.match(list, new RegExp(`, started, ${x.name}, ${peerUrl(x)}, http://${endpoint(x)}, false`))
      for (const w of ['simple', 'json', 'table', 'fields']) {
        const theirs = await ctl('etcdctl', [h], 'member', 'list', '-w', w)
        const ours = await ctl('tsetcd', [h], 'member', 'list', '-w', w)
        assert.equal(ours.stdout, theirs.stdout, `member list -w ${w}`)
      }
    }
    for (const h of [h1, h2, h3]) h.id = (await status(h)).header!.member_id
  })

  it('adds a learner under a write load: it catches up, refuses writes and linearizable reads, then is promoted', async () => {
    const [h1] = hosts
    const h4 = await newHost('m4')
    let writing = true
    let n = 100
    const load = (async () => {
      const c = await client(h1)
      while (writing) {
        const key = `k-${n++}`
        await c.call(KVService.Put, { key: Buffer.from(key), value: Buffer.from('load') }, 5000)
        acked.set(key, 'load')
      }
    })()
    const out = await add('etcdctl', h1, h4, true)
    const cluster = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(out)![1]
    await launch(h4, cluster, 'existing', false)
    const c4 = await client(h4)
    const st = await until('the learner serves status', () => c4.call(MaintenanceService.Status, {}, 2000))
    // Like any member, a learner announces itself and then says it serves (READY=1 under systemd).
    await until('the learner ready', async () =>
      h4.proc!.log().includes('"msg":"ready to serve client requests"') ? true : undefined,
    )
    await sleep(500)
    writing = false
    await load
    assert.ok(n > 110, 'the load wrote while the learner joined')
    await checkAcked(h4)
    const s4 = await status(h4)
    assert.equal(s4.isLearner, true)
    assert.equal(st.header?.member_id, s4.header?.member_id)
    h4.id = s4.header!.member_id
    const json = JSON.parse((await ctl('etcdctl', [h4], 'endpoint', 'status', '-w', 'json')).stdout) as {
      Status: { isLearner?: boolean }
    }[]
    assert.equal(json[0].Status.isLearner, true)

    const w = await ctl('etcdctl', [h4], 'put', 'x', 'y')
    assert.notEqual(w.code, 0)
    assert.match(w.stderr, /Error: etcdserver: rpc not supported for learner/)
    await assert.rejects(c4.call(KVService.Range, { key: Buffer.from('k-000') }, 2000), /rpc not supported for learner/)
    const ser = await ctl('etcdctl', [h4], 'get', 'k-000', '--consistency=s')
    assert.equal(ser.stdout, 'k-000\nbefore\n')

    // Leadership cannot go to a learner: etcd's error, from etcdctl and from tsetcd alike.
    const all = live()
    const toLearner = await ctl('etcdctl', all, 'move-leader', h4.id!.toString(16))
    assert.equal(toLearner.code, 1)
    assert.match(toLearner.stderr, /Error: etcdserver: bad leader transferee\n$/)
    const toLearnerOurs = await ctl('tsetcd', all, 'move-leader', h4.id!.toString(16))
    assert.equal(toLearnerOurs.stderr, 'Error: etcdserver: bad leader transferee\n')
    assert.equal(toLearnerOurs.code, 1)

    // Promote through a follower (forwarded to the leader), with tsetcd's command.
    const lead = await leader()
    const via = hosts.find((h) => h !== lead && h !== h4 && h.proc)!
    const p = await until('promote', async () => {
      const r = await ctl('tsetcd', [via], 'member', 'promote', h4.id!.toString(16))
      if (r.code === 0) return r.stdout
      if (!/in sync with leader/.test(r.stderr)) throw new Error(r.stderr)
      return undefined
    })
    assert.match(p, new RegExp(`^Member {0,15}${h4.id!.toString(16)} promoted in cluster {0,15}[0-9a-f]+\n$`))
    assert.equal((await status(h4)).isLearner, false)
    await put(h4, 'k-003', 'on the promoted member')
  })

  it('refuses bad changes with etcd errors and keeps serving', async () => {
    const [h1, h2] = hosts
    const remove = await ctl('etcdctl', [h1], 'member', 'remove', '1234abcd')
    assert.equal(remove.code, 1)
    assert.match(remove.stderr, /Error: etcdserver: member not found\n$/)
    const ours = await ctl('tsetcd', [h1], 'member', 'remove', '1234abcd')
    assert.equal(ours.code, 1)
    assert.match(ours.stderr, /etcdserver: member not found/)
    // The health check comes first (as in etcd): wait until every peer has been up 5 s.
    const dup = await until('a healthy cluster', async () => {
      const r = await ctl('etcdctl', [h1], 'member', 'add', 'dup', `--peer-urls=${peerUrl(h2)}`)
      return /unhealthy cluster/.test(r.stderr) ? undefined : r
    })
    assert.match(dup.stderr, /Error: etcdserver: Peer URLs already exists\n$/)
    const upd = await ctl('tsetcd', [h1], 'member', 'update', h1.id!.toString(16), `--peer-urls=${peerUrl(h2)}`)
    assert.match(upd.stderr, /etcdserver: Peer URLs already exists/)
    const path = await ctl('etcdctl', [h1], 'member', 'add', 'bad', '--peer-urls=http://127.0.0.1:1/x')
    const pathOurs = await ctl('tsetcd', [h1], 'member', 'add', 'bad', '--peer-urls=http://127.0.0.1:1/x')
    assert.equal(pathOurs.stderr.trim().split('\n').pop(), path.stderr.trim().split('\n').pop())
    const c = await client(h1)
    await assert.rejects(
      c.call(ClusterService.MemberAdd, { peerURLs: ['not a url'], isLearner: false }, 5000),
      /etcdserver: given member URLs are invalid/,
    )
    const voter = await ctl('etcdctl', [h1], 'member', 'promote', h2.id!.toString(16))
    assert.match(voter.stderr, /Error: etcdserver: can only promote a learner member\n$/)
    const badId = await ctl('tsetcd', [h1], 'member', 'remove', 'xyz')
    const badIdTheirs = await ctl('etcdctl', [h1], 'member', 'remove', 'xyz')
    assert.equal(badId.stderr, badIdTheirs.stderr)
    assert.equal(badId.code, badIdTheirs.code)
    await put(h1, 'k-004', 'still serving')
    const list = await ctl('etcdctl', [h1], 'member', 'list')
    assert.equal(list.stdout.trim().split('\n').length, 4)
  })

  it('removes the leader: a new leader is elected, the removed member exits and refuses to serve again', async () => {
    const old = await leader()
    const other = live().find((h) => h !== old)!
    const r = await ctl('etcdctl', [other], 'member', 'remove', old.id!.toString(16))
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`^Member {0,15}${old.id!.toString(16)} removed from cluster {0,15}[0-9a-f]+\n$`))
    assert.match(other.proc!.log(), /removing the leader: transferring leadership first/)
    const code = await exited(old.proc!.proc, 15_000)
    assert.notEqual(code, 0)
    assert.match(old.proc!.log(), /the member has been permanently removed from the cluster/)
    const rest = live()
    const lead = await leader(rest)
    assert.notEqual(lead, old)
    await put(lead, 'k-005', 'new leader')
    for (const h of rest) await checkAcked(h)

    // Restarted, the removed member refuses to serve: at once when it applied its own removal,
    // else (leadership went elsewhere first and the removal committed without it) as soon as
    // its peers tell it, as etcd's.
    const before = old.proc
    await launch(old, `${old.name}=${peerUrl(old)}`, 'new', false).catch(() => undefined)
    if (old.proc !== before) {
      assert.notEqual(await exited(old.proc!.proc, 15_000), 0)
      assert.match(old.proc!.log(), /the member has been permanently removed from the cluster/)
    }
    assert.equal((await ctl('etcdctl', [old], 'get', 'k-000', '--consistency=s')).code, 1)
    hosts.splice(hosts.indexOf(old), 1)
  })

  it('replaces a dead member: kill -9, remove, add a new one with a fresh data dir', async () => {
    const lead = await leader()
    const dead = live().find((h) => h !== lead)!
    await dead.proc!.kill9()
    const survivor = live()[0]
    const r = await ctl('tsetcd', [survivor], 'member', 'remove', dead.id!.toString(16))
    assert.equal(r.code, 0, r.stderr)
    hosts.splice(hosts.indexOf(dead), 1)
    const fresh = await newHost('m5')
    const out = await add('tsetcd', survivor, fresh)
    await launch(fresh, /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(out)![1], 'existing')
    await put(fresh, 'k-006', 'on the replacement')
    for (const h of live()) await checkAcked(h)
    const list = await ctl('etcdctl', [survivor], 'member', 'list')
    assert.equal(list.stdout.trim().split('\n').length, 3)
    assert.doesNotMatch(list.stdout, new RegExp(dead.id!.toString(16)))
  })
})
