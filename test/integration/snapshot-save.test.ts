/**
 * Online backups: Maintenance.Snapshot and `snapshot save`, checked with the real etcd 3.4
 * tools: a snapshot taken under a write load restores (real `etcdctl snapshot restore`) into
 * a data dir a real etcd serves with every key, revision and lease; failures leave no file.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { EtcdClient } from '../../src/client/client.js'
import { KVService, LeaseService } from '../../src/gen/etcdserverpb.js'
import { snapshotStatusOfFile } from '../../src/bbolt/index.js'
import {
  ETCD,
  ETCDCTL,
  freePorts,
  haveBinary,
  removeDir,
  run,
  startEtcd,
  startTsetcd,
  tmpDir,
  type RunResult,
  type ServerProc,
  etcdctlOk,
  restoreIntoEtcd,
  runTsetcd,
} from '../helpers/procs.js'

const ctl = (args: string[]): Promise<string> => etcdctlOk(args)
const tsetcd = (args: string[]): Promise<RunResult> => runTsetcd(args)

const missing = [ETCD, ETCDCTL].filter((b) => !haveBinary(b))
const b = (s: string) => Buffer.from(s)

interface Kv {
  key: string
  value?: string
  create_revision: number
  mod_revision: number
  version: number
  lease?: number | string
}

interface GetJson {
  header: { revision: number }
  kvs?: Kv[]
}

/** Every key, as `etcdctl get --prefix "" -w json` prints it (optionally at a revision). */
async function getAll(endpoint: string, rev?: number): Promise<GetJson> {
  const out = await ctl([
    '--endpoints',
    endpoint,
    'get',
    '--prefix',
    '',
    '-w',
    'json',
    ...(rev ? ['--rev', String(rev)] : []),
  ])
  return JSON.parse(out.replace(/"lease":(\d+)/g, '"lease":"$1"')) as GetJson
}

/** Puts, overwrites, deletes, leases and a compaction; returns the lease IDs granted. */
async function dataSet(c: EtcdClient): Promise<bigint[]> {
  for (let i = 0; i < 200; i++) await c.call(KVService.Put, { key: b(`data/${i}`), value: b(`v${i}`) })
  for (let i = 0; i < 200; i += 3) await c.call(KVService.Put, { key: b(`data/${i}`), value: b(`again${i}`) })
  for (let i = 1; i < 200; i += 7) await c.call(KVService.DeleteRange, { key: b(`data/${i}`) })
  const leases: bigint[] = []
  for (let l = 0; l < 3; l++) {
    const g = await c.call(LeaseService.LeaseGrant, { ID: 0n, TTL: 600 })
    leases.push(g.ID)
    for (let i = 0; i < 5; i++) await c.call(KVService.Put, { key: b(`leased/${l}/${i}`), value: b('x'), lease: g.ID })
  }
  const r = await c.call(KVService.Put, { key: b('big'), value: Buffer.alloc(100_000, 'B') })
  await c.call(KVService.Compact, { revision: r.header!.revision - 20, physical: true })
  for (let i = 0; i < 50; i++) await c.call(KVService.Put, { key: b(`data/${i}`), value: b(`third${i}`) })
  await c.call(KVService.DeleteRange, { key: b('data/199') })
  return leases
}

/** Puts unique keys until stopped; every acknowledged put with its revision. */
function writeLoad(c: EtcdClient): { acked: Map<string, number>; stop(): Promise<Map<string, number>> } {
  const acked = new Map<string, number>()
  let stopped = false
  const workers = [0, 1, 2, 3].map(async (w) => {
    for (let i = 0; !stopped; i++) {
      const key = `load/${w}/${String(i).padStart(6, '0')}`
      const r = await c.call(KVService.Put, { key: b(key), value: b(`w${w}i${i}`) })
      acked.set(key, r.header!.revision)
    }
  })
  return {
    acked,
    async stop() {
      stopped = true
      await Promise.all(workers)
      return acked
    },
  }
}

/** Restores `snap` with tsetcd into three new members, starts them as one cluster; the first is returned first. */
async function restoreTsetcdCluster(snap: string, dir: string): Promise<ServerProc[]> {
  const ports = await freePorts(6)
  const names = ['r1', 'r2', 'r3']
  const peer = (i: number) => `http://127.0.0.1:${ports[2 * i + 1]}`
  const initial = names.map((n, i) => `${n}=${peer(i)}`).join(',')
  const flags = (i: number) => [
    '--name',
    names[i],
    '--initial-cluster',
    initial,
    '--initial-advertise-peer-urls',
    peer(i),
  ]
  for (let i = 0; i < 3; i++) {
    const r = await tsetcd(['snapshot', 'restore', snap, '--data-dir', path.join(dir, names[i]), ...flags(i)])
    assert.equal(r.code, 0, r.stderr)
  }
  return Promise.all(
    names.map((n, i) =>
      startTsetcd({
        clientPort: ports[2 * i],
        peerPort: ports[2 * i + 1],
        args: [
          '--data-dir',
          path.join(dir, n),
          ...flags(i),
          '--listen-peer-urls',
          peer(i),
          '--listen-client-urls',
          `http://127.0.0.1:${ports[2 * i]}`,
          '--advertise-client-urls',
          `http://127.0.0.1:${ports[2 * i]}`,
        ],
      }),
    ),
  )
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('snapshot save: online backups in etcd’s format', function () {
  this.timeout(300000)
  before(function () {
    if (missing.length > 0) this.skip() // real etcd binaries not installed: nothing to compare against
  })

  let dir: string
  const servers: ServerProc[] = []
  const clients: EtcdClient[] = []
  beforeEach(() => {
    dir = tmpDir('tsetcd-snapsave-')
  })
  afterEach(async () => {
    while (clients.length > 0) clients.pop()!.close()
    while (servers.length > 0) await servers.pop()!.stop()
    removeDir(dir)
  })

  async function connect(endpoint: string): Promise<EtcdClient> {
    const c = await EtcdClient.connect({ endpoints: [endpoint], dialTimeoutMs: 3000 })
    clients.push(c)
    return c
  }

  const cases = [
    { tool: 'tsetcd', into: 'a real etcd' },
    { tool: 'etcdctl', into: 'a real etcd' },
    { tool: 'tsetcd', into: 'a new three-member tsetcd cluster' },
  ] as const
  for (const { tool, into } of cases) {
    it(`${tool} saves under a write load; ${into} restores every acknowledged write and lease`, async () => {
      const s = await startTsetcd({ dataDir: path.join(dir, 'member') })
      servers.push(s)
      const c = await connect(s.endpoint)
      const leases = await dataSet(c)
      const load = writeLoad(c)
      await waitFor('writes under way', () => load.acked.size > 50)
      const snap = path.join(dir, 'snap.db')
      if (tool === 'tsetcd') {
        const [dead] = await freePorts(1)
        const r = await tsetcd(['--endpoints', `127.0.0.1:${dead},${s.endpoint}`, 'snapshot', 'save', snap])
        assert.equal(r.code, 0, r.stderr)
        assert.equal(r.stdout, `Snapshot saved at ${snap}\n`)
        assert.match(r.stderr, new RegExp(`saving the snapshot from ${s.endpoint.replace(/\./g, '\\.')}`))
      } else {
        await ctl(['--endpoints', s.endpoint, 'snapshot', 'save', snap])
      }
      const acked = await load.stop()
      assert.deepEqual(fs.readdirSync(dir).sort(), ['member', 'snap.db'])
      // The member removes its copy once the call is over (the client may have finished first).
      const member = path.join(s.dataDir, 'member')
      await waitFor('the member to remove its copy', () => !fs.readdirSync(member).some((n) => n.endsWith('.db.tmp')))

      const status = JSON.parse(await ctl(['snapshot', 'status', snap, '-w', 'json'])) as { revision: number }
      assert.deepEqual(status, snapshotStatusOfFile(snap))
      const rev = status.revision
      const before = [...acked.values()].filter((r) => r <= rev).length
      const after = acked.size - before
      assert.ok(before > 0 && after > 0, `writes before (${before}) and after (${after}) the snapshot`)

      let e: ServerProc
      if (into === 'a real etcd') {
        e = await restoreIntoEtcd(snap, path.join(dir, 'restored'))
        servers.push(e)
      } else {
        const members = await restoreTsetcdCluster(snap, dir)
        servers.push(...members)
        e = members[0]
        // Every member serves the snapshot from its own store.
        for (const m of members.slice(1)) {
          const own = await ctl(['--endpoints', m.endpoint, 'get', '--prefix', '', '--consistency', 's', '--keys-only'])
          const first = await ctl([
            '--endpoints',
            e.endpoint,
            'get',
            '--prefix',
            '',
            '--consistency',
            's',
            '--keys-only',
          ])
          assert.equal(own, first, `${m.endpoint} serves what ${e.endpoint} serves`)
        }
      }
      const restored = await getAll(e.endpoint)
      const expected = await getAll(s.endpoint, rev)
      assert.equal(restored.header.revision, rev)
      assert.equal(restored.kvs!.length, expected.kvs!.length)
      assert.deepEqual(restored.kvs, expected.kvs)
      const restoredKeys = new Set(restored.kvs!.map((kv) => Buffer.from(kv.key, 'base64').toString()))
      for (const [key, r] of acked) assert.equal(restoredKeys.has(key), r <= rev, `${key} at ${r}, snapshot at ${rev}`)
      assert.ok(restoredKeys.has('leased/2/4') && restoredKeys.has('big') && !restoredKeys.has('data/190'))

      const leaseList = await ctl(['--endpoints', e.endpoint, 'lease', 'list'])
      // etcdctl prints lease IDs as %016x.
      for (const id of leases) assert.match(leaseList, new RegExp(`^${id.toString(16).padStart(16, '0')}$`, 'm'))
      const ttl = await ctl(['--endpoints', e.endpoint, 'lease', 'timetolive', leases[1].toString(16), '--keys'])
      const attached = /attached keys\(\[(.*)\]\)/.exec(ttl)
      assert.ok(attached, ttl)
      assert.deepEqual(
        attached[1].split(' ').sort(),
        [0, 1, 2, 3, 4].map((i) => `leased/1/${i}`),
      )
      // The compaction came along: history below it is gone in the restored member too.
      const old = await run(ETCDCTL, ['--endpoints', e.endpoint, 'get', 'data/0', '--rev', '2'])
      assert.match(old.stderr, /required revision has been compacted/)
    })
  }

  it('fails cleanly when the member is killed mid-save, and the member drops its copy on restart', async () => {
    const s = await startTsetcd({ dataDir: path.join(dir, 'member') })
    servers.push(s)
    const c = await connect(s.endpoint)
    const value = Buffer.alloc(100_000, 7)
    for (let i = 0; i < 400; i += 8)
      await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((j) => c.call(KVService.Put, { key: b(`bulk/${i + j}`), value })))
    const snap = path.join(dir, 'snap.db')
    const saving = tsetcd(['--endpoints', s.endpoint, 'snapshot', 'save', snap])
    // Wait for bytes to reach the partial file, then kill the member.
    await waitFor(
      'the partial file to grow',
      () => (fs.statSync(`${snap}.part`, { throwIfNoEntry: false })?.size ?? 0) > 0,
    )
    await s.kill9()
    const r = await saving
    assert.equal(r.code, 5, r.stderr)
    assert.match(r.stderr, /^Error: /)
    assert.deepEqual(fs.readdirSync(dir), ['member'], 'neither the file nor its partial copy is left')
    const memberDir = path.join(s.dataDir, 'member')
    assert.equal(fs.readdirSync(memberDir).filter((n) => n.endsWith('.db.tmp')).length, 1, 'the copy being sent')

    servers.pop()
    const again = await startTsetcd({ dataDir: s.dataDir })
    servers.push(again)
    assert.deepEqual(
      fs.readdirSync(memberDir).filter((n) => n.endsWith('.db.tmp')),
      [],
      'removed at start-up',
    )
  })

  it('reports an unwritable target and an unreachable member, leaving nothing behind', async () => {
    const s = await startTsetcd({ dataDir: path.join(dir, 'member') })
    servers.push(s)
    const notDir = path.join(dir, 'file')
    fs.writeFileSync(notDir, 'x')
    const r = await tsetcd(['--endpoints', s.endpoint, 'snapshot', 'save', path.join(notDir, 'snap.db')])
    assert.equal(r.code, 5)
    assert.equal(
      r.stderr,
      `Error: could not open ${notDir}/snap.db.part (open ${notDir}/snap.db.part: not a directory)\n`,
    )
    const [dead] = await freePorts(1)
    const r2 = await tsetcd(['--endpoints', `127.0.0.1:${dead}`, 'snapshot', 'save', path.join(dir, 's.db')])
    assert.equal(r2.code, 5)
    assert.equal(r2.stderr, 'Error: context deadline exceeded\n')
    const r3 = await tsetcd(['--endpoints', s.endpoint, 'snapshot', 'save'])
    assert.equal(r3.code, 128)
    assert.equal(r3.stderr, 'Error: snapshot save expects one argument\n')
    assert.deepEqual(fs.readdirSync(dir).sort(), ['file', 'member'])
  })

  it('names snapshots in a directory by time and keeps the --keep newest that verify', async () => {
    const s = await startTsetcd({ dataDir: path.join(dir, 'member') })
    servers.push(s)
    const c = await connect(s.endpoint)
    await c.call(KVService.Put, { key: b('k'), value: b('v') })
    const backups = path.join(dir, 'backups')
    fs.mkdirSync(backups)
    const first = await tsetcd(['--endpoints', s.endpoint, 'snapshot', 'save', backups])
    assert.equal(first.code, 0, first.stderr)
    const m = /^Snapshot saved at (.*\/snapshot-\d{8}T\d{6}Z\.db)\n$/.exec(first.stdout)
    assert.ok(m, first.stdout)
    const good = fs.readFileSync(m[1])
    fs.rmSync(m[1])
    const old = (day: string) => path.join(backups, `snapshot-202001${day}T000000Z.db`)
    fs.writeFileSync(old('01'), good)
    fs.writeFileSync(old('02'), good)
    const bad = Buffer.from(good)
    bad[100] ^= 1
    fs.writeFileSync(old('03'), bad)
    fs.writeFileSync(path.join(backups, 'other.db'), 'not ours')

    const r = await tsetcd(['--endpoints', s.endpoint, 'snapshot', 'save', backups, '--keep', '2'])
    assert.equal(r.code, 0, r.stderr)
    const saved = /^Snapshot saved at (.*)\n/.exec(r.stdout)![1]
    assert.equal(r.stdout, `Snapshot saved at ${saved}\nRemoved old snapshot ${old('01')}\n`)
    assert.equal(r.stderr, `warning: ${old('03')} fails its sha256 check; not counted\n`)
    assert.deepEqual(fs.readdirSync(backups).sort(), [
      'other.db',
      path.basename(old('02')),
      path.basename(old('03')),
      path.basename(saved),
    ])

    const notDir = await tsetcd(['--endpoints', s.endpoint, 'snapshot', 'save', path.join(dir, 'x.db'), '--keep', '1'])
    assert.equal(notDir.code, 128)
    assert.match(notDir.stderr, /--keep needs <filename> to be a directory/)
  })

  it('saves from a real etcd; etcdctl snapshot status reads the file', async () => {
    const e = await startEtcd({ dataDir: path.join(dir, 'etcd') })
    servers.push(e)
    const c = await connect(e.endpoint)
    for (let i = 0; i < 300; i++) await c.call(KVService.Put, { key: b(`k${i}`), value: Buffer.alloc(1000, i) })
    const ours = path.join(dir, 'ours.db')
    const r = await tsetcd(['--endpoints', e.endpoint, 'snapshot', 'save', ours])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `Snapshot saved at ${ours}\n`)
    const theirs = path.join(dir, 'theirs.db')
    await ctl(['--endpoints', e.endpoint, 'snapshot', 'save', theirs])
    const a = JSON.parse(await ctl(['snapshot', 'status', ours, '-w', 'json']))
    const t = JSON.parse(await ctl(['snapshot', 'status', theirs, '-w', 'json']))
    assert.deepEqual(a, t)
    assert.equal(a.revision, 301)
  })
})
