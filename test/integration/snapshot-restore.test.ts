/**
 * `tsetcd snapshot status` and `tsetcd snapshot restore` on snapshot files written by a real
 * etcd 3.4 (`etcdctl snapshot save`): the status etcdctl prints, a three-member tsetcd cluster
 * restored from the file serving the same keys and leases, tsetcd and etcdctl restoring the
 * same file into single members, 3.5's --bump-revision / --mark-compacted, and damaged files.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { BoltReader, writeEtcdSnapshot } from '../../src/bbolt/index.js'
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
  userStderr,
  waitReady,
  type RunResult,
  type ServerProc,
  etcdctlOk,
  runTsetcd,
} from '../helpers/procs.js'

const ctl = (args: string[]): Promise<string> => etcdctlOk(args)
const tsetcd = (args: string[]): Promise<RunResult> => runTsetcd(args)

const missing = [ETCD, ETCDCTL].filter((b) => !haveBinary(b))

interface Kv {
  key: string
  value?: string
  create_revision: number
  mod_revision: number
  version: number
  lease?: number
}
interface GetJson {
  header: { revision: number }
  kvs?: Kv[]
}

async function getAll(endpoint: string): Promise<GetJson> {
  return JSON.parse(await ctl(['--endpoints', endpoint, 'get', '', '--prefix', '-w', 'json']))
}

const b64 = (s: string) => Buffer.from(s).toString('base64')

/** The lines of `lease timetolive --keys` of every lease, without the remaining TTL (it counts down). */
async function leasesWithKeys(endpoint: string): Promise<string[]> {
  const list = (await ctl(['--endpoints', endpoint, 'lease', 'list'])).trim().split('\n').slice(1).sort()
  const out: string[] = []
  for (const id of list) {
    const t = JSON.parse(await ctl(['--endpoints', endpoint, 'lease', 'timetolive', id, '--keys', '-w', 'json']))
    assert.ok(t.ttl > 0, `lease ${id} still has time left (${t.ttl})`)
    // etcd lists a lease's keys in Go map order (random): compare them as a set.
    const keys = (t.keys ?? []).map((k: string) => Buffer.from(k, 'base64').toString()).sort()
    out.push(`${id} granted ${t['granted-ttl']} keys ${keys}`)
  }
  return out
}

describe('snapshot status and restore with files from a real etcd', function () {
  this.timeout(300000)
  before(function () {
    if (missing.length > 0) this.skip() // real etcd binaries not installed: nothing to compare against
  })

  let dir: string
  let snap: string
  let source: GetJson
  let sourceLeases: string[]
  const servers: ServerProc[] = []

  before(async () => {
    dir = tmpDir('tsetcd-restore-')
    const s = await startEtcd({ dataDir: path.join(dir, 'source') })
    const ep = ['--endpoints', s.endpoint]
    try {
      for (let i = 0; i < 40; i++) await ctl([...ep, 'put', `k/${String(i).padStart(3, '0')}`, `v${i}`])
      for (let i = 0; i < 40; i += 3) await ctl([...ep, 'put', `k/${String(i).padStart(3, '0')}`, `again${i}`])
      for (let i = 1; i < 40; i += 5) await ctl([...ep, 'del', `k/${String(i).padStart(3, '0')}`])
      await ctl([...ep, 'put', 'k/001', 'recreated'])
      const l1 = (await ctl([...ep, 'lease', 'grant', '3000'])).split(' ')[1]
      const l2 = (await ctl([...ep, 'lease', 'grant', '4000'])).split(' ')[1]
      await ctl([...ep, 'lease', 'grant', '5000'])
      await ctl([...ep, 'put', 'leased/a', 'A', '--lease', l1])
      await ctl([...ep, 'put', 'leased/b', 'B', '--lease', l1])
      await ctl([...ep, 'put', 'leased/c', 'C', '--lease', l2])
      await ctl([...ep, 'compaction', '30'])
      await ctl([...ep, 'put', 'last', 'x'])
      snap = path.join(dir, 'etcd.snap')
      await ctl([...ep, 'snapshot', 'save', snap])
      source = await getAll(s.endpoint)
      sourceLeases = await leasesWithKeys(s.endpoint)
    } finally {
      await s.stop()
    }
  })
  afterEach(async () => {
    while (servers.length > 0) await servers.pop()!.stop()
  })
  after(() => removeDir(dir))

  /** Restores `file` with tsetcd into a new single-member data dir; returns it and the member's flags. */
  async function restoreOne(file: string, name: string, extra: string[] = []) {
    const [cp, pp] = await freePorts(2)
    const dataDir = path.join(dir, name)
    const peer = `http://127.0.0.1:${pp}`
    const flags = ['--name', name, '--initial-cluster', `${name}=${peer}`, '--initial-advertise-peer-urls', peer]
    const r = await tsetcd(['snapshot', 'restore', file, '--data-dir', dataDir, ...flags, ...extra])
    assert.equal(r.code, 0, r.stderr)
    return { dataDir, cp, pp, flags }
  }

  async function serveRestored(m: { dataDir: string; cp: number; pp: number; flags: string[] }): Promise<ServerProc> {
    const s = await startTsetcd({
      clientPort: m.cp,
      peerPort: m.pp,
      args: [
        '--data-dir',
        m.dataDir,
        ...m.flags,
        '--listen-peer-urls',
        `http://127.0.0.1:${m.pp}`,
        '--listen-client-urls',
        `http://127.0.0.1:${m.cp}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${m.cp}`,
        '--initial-cluster-state',
        'new',
      ],
    })
    servers.push(s)
    return s
  }

  it('status prints what etcdctl snapshot status prints, in every format', async () => {
    for (const w of ['simple', 'json', 'table', 'fields']) {
      const ours = await tsetcd(['snapshot', 'status', snap, '-w', w])
      const theirs = await run(ETCDCTL, ['snapshot', 'status', snap, '-w', w])
      assert.equal(ours.code, 0, ours.stderr)
      assert.equal(ours.stdout, theirs.stdout, `-w ${w}`)
    }
    const none = await tsetcd(['snapshot', 'status', path.join(dir, 'nonexistent.db')])
    const theirs = await run(ETCDCTL, ['snapshot', 'status', path.join(dir, 'nonexistent.db')])
    assert.equal(none.code, theirs.code)
    assert.equal(none.stderr, userStderr(theirs.stderr) + '\n')
  })

  it('restores into three members that form one healthy cluster serving the snapshot', async () => {
    const ports = await freePorts(6)
    const names = ['r1', 'r2', 'r3']
    const peer = (i: number) => `http://127.0.0.1:${ports[2 * i + 1]}`
    const initial = names.map((n, i) => `${n}=${peer(i)}`).join(',')
    const members = names.map((n, i) => ({
      dataDir: path.join(dir, n),
      cp: ports[2 * i],
      pp: ports[2 * i + 1],
      flags: [
        '--name',
        n,
        '--initial-cluster',
        initial,
        '--initial-cluster-token',
        'restored-cluster',
        '--initial-advertise-peer-urls',
        peer(i),
      ],
    }))
    for (const m of members) {
      const r = await tsetcd(['snapshot', 'restore', snap, '--data-dir', m.dataDir, ...m.flags])
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /"msg":"restored snapshot"/)
    }
    // Start all three at once: each waits for a quorum.
    const procs = await Promise.all(
      members.map((m) =>
        startTsetcd({
          clientPort: m.cp,
          peerPort: m.pp,
          ready: false,
          args: [
            '--data-dir',
            m.dataDir,
            ...m.flags,
            '--listen-peer-urls',
            `http://127.0.0.1:${m.pp}`,
            '--listen-client-urls',
            `http://127.0.0.1:${m.cp}`,
            '--advertise-client-urls',
            `http://127.0.0.1:${m.cp}`,
            '--initial-cluster-state',
            'new',
          ],
        }),
      ),
    )
    servers.push(...procs)
    for (const p of procs) await waitReady(p.endpoint, p.proc, p.log, 30000)

    const health = await run(ETCDCTL, ['--endpoints', procs[0].endpoint, 'endpoint', 'health', '--cluster'])
    assert.equal(health.code, 0, health.stderr)
    // etcdctl 3.4 writes the health lines to stderr
    const lines = userStderr(health.stdout + health.stderr).split('\n')
    assert.equal(
      lines.filter((l) => / is healthy: successfully committed proposal/.test(l)).length,
      3,
      lines.join('\n'),
    )
    const list = await ctl(['--endpoints', procs[0].endpoint, 'member', 'list'])
    assert.deepEqual(
      list
        .trim()
        .split('\n')
        .map((l) => l.split(', ')[2])
        .sort(),
      names,
    )

    for (const p of procs) {
      const got = await getAll(p.endpoint)
      assert.equal(got.header.revision, source.header.revision)
      assert.deepEqual(got.kvs, source.kvs)
      assert.deepEqual(await leasesWithKeys(p.endpoint), sourceLeases)
    }
    // History below the compaction is gone, above it is there.
    const old = await run(ETCDCTL, ['--endpoints', procs[1].endpoint, 'get', 'k/000', '--rev', '29'])
    assert.match(old.stderr, /required revision has been compacted/)
    const atRev = JSON.parse(await ctl(['--endpoints', procs[1].endpoint, 'get', 'k/001', '--rev', '30', '-w', 'json']))
    assert.equal(atRev.header.revision, source.header.revision)

    const put = JSON.parse(await ctl(['--endpoints', procs[2].endpoint, 'put', 'after', 'restore', '-w', 'json']))
    assert.equal(put.header.revision, source.header.revision + 1)
    for (const p of procs) {
      const got = JSON.parse(
        await ctl(['--endpoints', p.endpoint, 'get', 'after', '-w', 'json', '--consistency', 'l']),
      ) as GetJson
      assert.equal(got.kvs?.[0].value, b64('restore'))
      assert.equal(got.kvs?.[0].mod_revision, source.header.revision + 1)
    }
  })

  it('gives the same keys as etcdctl snapshot restore of the same file', async () => {
    const ours = await restoreOne(snap, 'ours')
    const s1 = await serveRestored(ours)
    const [cp, pp] = await freePorts(2)
    const theirsDir = path.join(dir, 'theirs')
    const peer = `http://127.0.0.1:${pp}`
    const flags = ['--name', 'theirs', '--initial-cluster', `theirs=${peer}`, '--initial-advertise-peer-urls', peer]
    await ctl(['snapshot', 'restore', snap, '--data-dir', theirsDir, ...flags])
    const s2 = await startEtcd({ name: 'theirs', dataDir: theirsDir, clientPort: cp, peerPort: pp })
    servers.push(s2)
    const a = await getAll(s1.endpoint)
    const b = await getAll(s2.endpoint)
    assert.equal(a.header.revision, b.header.revision)
    assert.deepEqual(a.kvs, b.kvs)
    assert.deepEqual(await leasesWithKeys(s1.endpoint), await leasesWithKeys(s2.endpoint))
  })

  it('--bump-revision with --mark-compacted moves the revision on and compacts to it (etcd 3.5)', async () => {
    const rev = source.header.revision
    const m = await restoreOne(snap, 'bumped', ['--bump-revision', '1000', '--mark-compacted'])
    const s = await serveRestored(m)
    const got = await getAll(s.endpoint)
    assert.equal(got.header.revision, rev + 1000)
    assert.deepEqual(got.kvs, source.kvs)
    const old = await run(ETCDCTL, ['--endpoints', s.endpoint, 'get', 'last', '--rev', String(rev)])
    assert.match(old.stderr, /required revision has been compacted/)
    const put = JSON.parse(await ctl(['--endpoints', s.endpoint, 'put', 'next', 'n', '-w', 'json']))
    assert.equal(put.header.revision, rev + 1001)

    for (const bad of [['--bump-revision', '5'], ['--mark-compacted']]) {
      const r = await tsetcd(['snapshot', 'restore', snap, '--data-dir', path.join(dir, 'never'), ...bad])
      assert.equal(r.code, 128)
      assert.equal(r.stderr, 'Error: --mark-compacted required if --revision-bump > 0\n')
      assert.equal(fs.existsSync(path.join(dir, 'never')), false)
    }
  })

  it('refuses an existing data dir, and a file without a hash unless --skip-hash-check', async () => {
    const taken = path.join(dir, 'taken')
    fs.mkdirSync(taken)
    fs.writeFileSync(path.join(taken, 'keep'), 'x')
    const r = await tsetcd(['snapshot', 'restore', snap, '--data-dir', taken])
    assert.equal(r.code, 1)
    assert.match(r.stderr, new RegExp(`Error: data-dir "${taken}" not empty or could not be read\n$`))
    assert.deepEqual(fs.readdirSync(taken), ['keep'])

    // A member's db file has no trailer: etcd's error, then a restore with --skip-hash-check.
    const raw = path.join(dir, 'raw.db')
    fs.writeFileSync(raw, fs.readFileSync(snap).subarray(0, fs.statSync(snap).size - 32))
    const target = path.join(dir, 'from-raw')
    const refused = await tsetcd(['snapshot', 'restore', raw, '--data-dir', target])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /Error: snapshot missing hash but --skip-hash-check=false\n$/)
    assert.equal(fs.existsSync(target), false)
    const m = await restoreOne(raw, 'from-raw-ok', ['--skip-hash-check'])
    const s = await serveRestored(m)
    assert.deepEqual((await getAll(s.endpoint)).kvs, source.kvs)
  })

  describe('damaged files', () => {
    /** Runs status and restore (with and without --skip-hash-check) on `file`; each must fail naming `problem`. */
    async function refused(file: string, problems: { status: RegExp; restore: RegExp; skipHash: RegExp }) {
      const st = await tsetcd(['snapshot', 'status', file])
      assert.equal(st.code, 1, st.stdout)
      assert.equal(st.stdout, '')
      assert.match(st.stderr, problems.status)
      for (const [extra, want] of [
        [[], problems.restore],
        [['--skip-hash-check'], problems.skipHash],
      ] as const) {
        const before = fs.readdirSync(dir).sort()
        const target = path.join(dir, 'damaged-target')
        const r = await tsetcd(['snapshot', 'restore', file, '--data-dir', target, ...extra])
        assert.equal(r.code, 1, r.stderr)
        assert.match(userStderr(r.stderr), want)
        assert.equal(fs.existsSync(target), false, 'nothing at the data dir')
        assert.deepEqual(fs.readdirSync(dir).sort(), before, 'no temporary directory left behind')
      }
    }

    it('a truncated file', async () => {
      const file = path.join(dir, 'truncated.db')
      fs.writeFileSync(file, fs.readFileSync(snap).subarray(0, 10000))
      await refused(file, {
        status: /^Error: bbolt: file is truncated: .* the file has 10000\n$/,
        restore: /^Error: snapshot missing hash but --skip-hash-check=false$/,
        skipHash: /^Error: bbolt: file is truncated: .* the file has 10000$/,
      })
    })

    it('a flipped bit: the sha256 trailer, or with --skip-hash-check bbolt’s check', async () => {
      const buf = fs.readFileSync(snap)
      const db = buf.subarray(0, buf.length - 32)
      // Corrupt the page id in the header of the key bucket's root page (reachable, unlike
      // pages on the freelist that may still hold old leaves).
      const reader = BoltReader.fromBuffer(Buffer.from(db), { verifyTrailer: false })
      const page = Number(reader.bucket('key')!.header.root)
      reader.close()
      assert.ok(page > 1, 'the key bucket has pages of its own')
      const flipped = Buffer.from(buf)
      flipped[page * 4096] ^= 0x01
      const file = path.join(dir, 'flipped.db')
      fs.writeFileSync(file, flipped)
      await refused(file, {
        status: /^Error: snapshot file integrity check failed\. \d+ errors found\.\n/,
        restore: /^Error: expected sha256 \[[\d ]+\], got \[[\d ]+\]$/,
        skipHash: /^Error: snapshot file integrity check failed\. \d+ errors found\.\n/,
      })
    })

    it('a sound bbolt file whose key bucket holds a key that is not a revision (found while copying)', async () => {
      const file = path.join(dir, 'bad-key.db')
      writeEtcdSnapshot(file, {
        records: [],
        buckets: { key: [[Buffer.from('not-a-revision'), Buffer.from('x')]] },
      })
      const before = fs.readdirSync(dir).sort()
      const target = path.join(dir, 'bad-key-target')
      const r = await tsetcd(['snapshot', 'restore', file, '--data-dir', target])
      assert.equal(r.code, 1)
      assert.match(userStderr(r.stderr), /^Error: key bucket: malformed revision key 6e6f742d612d7265766973696f6e$/)
      assert.equal(fs.existsSync(target), false, 'nothing at the data dir')
      assert.deepEqual(fs.readdirSync(dir).sort(), before, 'no temporary directory left behind')
    })

    it('a file that is not bbolt at all', async () => {
      const file = path.join(dir, 'not-bbolt.db')
      fs.writeFileSync(file, 'this is not a database\n'.repeat(1000))
      await refused(file, {
        status: /^Error: bbolt: invalid database: both meta pages are invalid/,
        restore: /^Error: snapshot missing hash but --skip-hash-check=false$/,
        skipHash: /^Error: bbolt: invalid database: both meta pages are invalid/,
      })
    })
  })
})
