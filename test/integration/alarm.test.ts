/**
 * Alarms: NOSPACE raised by a member's quota and refusing writes on every member until it is
 * disarmed (after compaction and defragmentation), kept across a restart; CORRUPT raised by
 * the periodic corruption check; etcd's answers to odd alarm requests.
 */
import assert from 'node:assert/strict'
import { EtcdClient } from '../../src/client/client.js'
import { AlarmRequest_AlarmAction, AlarmType, KVService, MaintenanceService } from '../../src/gen/etcdserverpb.js'
import { RocksBackend } from '../../src/server/backend/rocks-backend.js'
import { revKey } from '../../src/server/mvcc/revision.js'
import { TestCluster, type ClusterMember } from '../helpers/cluster.js'
import { ETCDCTL, TSETCD, haveBinary, removeDir, run, startTsetcd, type ServerProc } from '../helpers/procs.js'

const QUOTA = 3_000_000
const BIG = Buffer.alloc(200 * 1024, 'x')

async function memberId(c: TestCluster, m: ClusterMember): Promise<bigint> {
  const cl = await c.client(m)
  try {
    return (await cl.call(MaintenanceService.Status, {})).header!.member_id
  } finally {
    cl.close()
  }
}

/** Puts big values through `m` until its quota refuses one. */
async function fill(c: TestCluster, m: ClusterMember, prefix: string): Promise<void> {
  const cl = await c.client(m)
  try {
    for (let i = 0; i < 60; i++) {
      try {
        await cl.call(KVService.Put, { key: Buffer.from(`${prefix}${i}`), value: BIG })
      } catch (err) {
        assert.match((err as Error).message, /etcdserver: mvcc: database space exceeded/)
        return
      }
    }
    assert.fail('no put was refused')
  } finally {
    cl.close()
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const ctl = (eps: string, ...args: string[]) => run(ETCDCTL, ['--endpoints', eps, ...args])
const own = (eps: string, ...args: string[]) => run(process.execPath, [TSETCD, '--endpoints', eps, ...args])

describe('NOSPACE alarm on a 3-member cluster', function () {
  this.timeout(180000)
  let c: TestCluster | undefined
  after(async () => {
    await c?.stopAll()
    c?.remove()
  })

  it('a member over its quota raises NOSPACE; every member refuses writes and serves reads; compact + defrag + disarm restore writes (etcdctl, then tsetcd); a restarted member lists the same alarms', async function () {
    if (!haveBinary(ETCDCTL)) this.skip()
    c = await TestCluster.create(3, { 'quota-backend-bytes': QUOTA })
    await Promise.all(c.members.map((m) => c!.ready(m)))
    const [m1, m2] = c.members
    const eps = c.endpoints.join(',')
    const id1 = await memberId(c, m1)

    for (const [round, tool] of [
      ['a', ctl],
      ['b', own],
    ] as const) {
      await fill(c, m1, `${round}/`)
      const list = await until('the NOSPACE alarm', async () => {
        const r = await ctl(m1.endpoint, 'alarm', 'list')
        return r.stdout.includes(`memberID:${id1} alarm:NOSPACE`) ? r.stdout : undefined
      })
      for (const line of list.split('\n').filter((l) => l !== '')) assert.match(line, /^memberID:\d+ alarm:NOSPACE $/)
      // The same list from every member and from tsetcd's command.
      for (const m of c.members) {
        const r = await ctl(m.endpoint, 'alarm', 'list')
        assert.match(r.stdout, new RegExp(`memberID:${id1} alarm:NOSPACE`))
      }
      assert.match(
        (await own(m2.endpoint, 'alarm', 'list')).stdout,
        new RegExp(`^memberID:${id1} alarm:NOSPACE $`, 'm'),
      )
      // Writes are refused on every member (the apply layer refuses them), reads are served.
      for (const m of c.members) {
        const put = await ctl(m.endpoint, 'put', 'small', 'v')
        assert.equal(put.code, 1)
        assert.match(put.stderr, /Error: etcdserver: mvcc: database space exceeded/)
        const get = await ctl(m.endpoint, 'get', `${round}/0`, '--keys-only')
        assert.equal(get.code, 0, get.stderr)
        assert.equal(get.stdout.trim(), `${round}/0`)
      }
      const del = await ctl(m1.endpoint, 'del', '--prefix', `${round}/`)
      assert.equal(del.code, 0, del.stderr)

      if (round === 'a') {
        // A restarted member reads the alarms back from its database.
        const before = (await ctl(m2.endpoint, 'alarm', 'list')).stdout
        await m2.proc!.stop()
        await c.start(m2)
        await c.ready(m2)
        assert.equal((await ctl(m2.endpoint, 'alarm', 'list')).stdout, before)
      }

      const rev = JSON.parse((await ctl(m1.endpoint, 'get', 'x', '-w', 'json')).stdout).header.revision as number
      assert.equal((await tool(eps, 'compaction', '--physical', String(rev))).code, 0)
      const defrag = await tool(eps, 'defrag', '--cluster')
      assert.equal(defrag.code, 0, defrag.stderr)
      assert.equal(
        defrag.stdout.split('\n').filter((l) => /^Finished defragmenting etcd member\[http/.test(l)).length,
        3,
      )
      const disarm = await tool(eps, 'alarm', 'disarm')
      assert.equal(disarm.code, 0, disarm.stderr)
      assert.match(disarm.stdout, new RegExp(`^memberID:${id1} alarm:NOSPACE $`, 'm'))
      assert.equal((await ctl(eps, 'alarm', 'list')).stdout, '')
      for (const m of c.members) {
        const put = await ctl(m.endpoint, 'put', 'small', 'v')
        assert.equal(put.code, 0, put.stderr)
      }
    }
  })
})

describe('alarm requests etcd accepts', function () {
  this.timeout(60000)
  let s: ServerProc
  let cl: EtcdClient
  before(async () => {
    s = await startTsetcd()
    cl = await EtcdClient.connect({ endpoints: [s.endpoint], dialTimeoutMs: 2000 })
  })
  after(async () => {
    cl?.close()
    await s?.kill9()
    if (s) removeDir(s.dataDir)
  })

  it('disarming an alarm that is not raised answers no alarms; activating for an unknown member raises it', async () => {
    const off = await cl.call(MaintenanceService.Alarm, {
      action: AlarmRequest_AlarmAction.DEACTIVATE,
      memberID: 42n,
      alarm: AlarmType.NOSPACE,
    })
    assert.deepEqual(off.alarms, [])
    const on = await cl.call(MaintenanceService.Alarm, {
      action: AlarmRequest_AlarmAction.ACTIVATE,
      memberID: 42n,
      alarm: AlarmType.NOSPACE,
    })
    assert.deepEqual(on.alarms, [{ memberID: 42n, alarm: AlarmType.NOSPACE }])
    await assert.rejects(
      cl.call(KVService.Put, { key: Buffer.from('k'), value: Buffer.from('v') }),
      /database space exceeded/,
    )
    const listed = await cl.call(MaintenanceService.Alarm, {
      action: AlarmRequest_AlarmAction.GET,
      memberID: 0n,
      alarm: AlarmType.CORRUPT,
    })
    assert.deepEqual(listed.alarms, [])
    const health = await fetch(`${s.clientUrl}/health`)
    assert.equal(health.status, 503)
    assert.deepEqual(await health.json(), { health: 'false', reason: 'ALARM NOSPACE' })
    assert.equal((await fetch(`${s.clientUrl}/health?exclude=NOSPACE`)).status, 200)
    const status = await cl.call(MaintenanceService.Status, {})
    assert.deepEqual(status.errors, ['memberID:42 alarm:NOSPACE '])
    await cl.call(MaintenanceService.Alarm, {
      action: AlarmRequest_AlarmAction.DEACTIVATE,
      memberID: 42n,
      alarm: AlarmType.NOSPACE,
    })
    await cl.call(KVService.Put, { key: Buffer.from('k'), value: Buffer.from('v') })
  })
})

describe('--experimental-corrupt-check-time', function () {
  this.timeout(120000)
  let c: TestCluster | undefined
  after(async () => {
    await c?.stopAll()
    c?.remove()
  })

  it("the leader raises CORRUPT for a member whose data differs; requests then fail with etcd's error", async () => {
    c = await TestCluster.create(3, { 'experimental-corrupt-check-time': '1s' })
    await Promise.all(c.members.map((m) => c!.ready(m)))
    const [m1, m2, m3] = c.members
    const cl = await c.client([m1, m2])
    try {
      for (let i = 0; i < 10; i++)
        await cl.call(KVService.Put, { key: Buffer.from(`k${i % 3}`), value: Buffer.from(`v${i}`) })
    } finally {
      cl.close()
    }
    await c.ready(m3)
    const id3 = await memberId(c, m3)
    await m3.proc!.stop()
    const backend = await RocksBackend.open(RocksBackend.dbDir(c.dataDir(m3)))
    const [record] = await backend.get([revKey(2, 0, false)])
    assert.ok(record && record.includes('v0'), 'the record of revision 2')
    const changed = Buffer.from(record)
    changed.set(Buffer.from('X0'), record.indexOf('v0'))
    const wb = backend.batch()
    wb.put(revKey(2, 0, false), changed)
    wb.write({ sync: true })
    await backend.close()
    await c.start(m3)
    await c.ready(m3)

    const leader = await c.leader()
    const alarms = await until(
      'the CORRUPT alarm',
      async () => {
        const cl2 = await c!.client(m1)
        try {
          const r = await cl2.call(MaintenanceService.Alarm, {
            action: AlarmRequest_AlarmAction.GET,
            memberID: 0n,
            alarm: AlarmType.NONE,
          })
          return r.alarms.length > 0 ? r.alarms : undefined
        } finally {
          cl2.close()
        }
      },
      30000,
    )
    assert.ok(alarms.every((a) => a.alarm === AlarmType.CORRUPT))
    if (leader !== m3) assert.deepEqual(alarms, [{ memberID: id3, alarm: AlarmType.CORRUPT }])
    assert.match(leader.proc!.log(), /same compact revision then hashes must match/)
    for (const m of c.members) {
      const cl3 = await c.client(m)
      try {
        await until(`${m.name} to refuse writes`, async () => {
          try {
            await cl3.call(KVService.Put, { key: Buffer.from('k'), value: Buffer.from('v') })
            return undefined
          } catch (err) {
            return /etcdserver: corrupt cluster/.test((err as Error).message) ? true : undefined
          }
        })
      } finally {
        cl3.close()
      }
    }
    if (haveBinary(ETCDCTL)) {
      const r = await ctl(m1.endpoint, 'put', 'a', 'b')
      assert.equal(r.code, 1)
      assert.match(r.stderr, /Error: etcdserver: corrupt cluster/)
    }
  })
})
