/**
 * A member always restarts: after it took raft snapshots (any --snapshot-count), after WAL
 * segments were purged, after a crash between a snapshot's file and its WAL marker, after a
 * crash in the middle of installing a received database; and it refuses to start, naming
 * why, when its database has applied entries its WAL no longer holds.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { EtcdClient } from '../../src/client/client.js'
import { KVService, MaintenanceService } from '../../src/gen/etcdserverpb.js'
import { Snapshotter } from '../../src/server/snap/index.js'
import { removeDir, startTsetcd, tmpDir, type ServerProc, type StartOptions } from '../helpers/procs.js'

const enc = (s: string) => Buffer.from(s)

async function withClient<T>(p: ServerProc, fn: (c: EtcdClient) => Promise<T>): Promise<T> {
  const c = await EtcdClient.connect({ endpoints: [p.endpoint], dialTimeoutMs: 3000 })
  try {
    return await fn(c)
  } finally {
    c.close()
  }
}

/** Puts `${prefix}${i}` = `v${i}` for i in [from, to), `concurrency` at a time. */
async function putRange(p: ServerProc, prefix: string, from: number, to: number, concurrency = 32): Promise<void> {
  await withClient(p, async (c) => {
    let next = from
    const worker = async () => {
      while (next < to) {
        const i = next++
        await c.call(KVService.Put, { key: enc(`${prefix}${i}`), value: enc(`v${i}`) }, 10000)
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
  })
}

/** Every key `${prefix}${i}` for i in [0, n) has value `v${i}`, read linearizably. */
async function checkRange(p: ServerProc, prefix: string, n: number): Promise<void> {
  await withClient(p, async (c) => {
    const r = await c.call(
      KVService.Range,
      {
        key: enc(prefix),
        range_end: enc(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)),
      },
      10000,
    )
    assert.equal(Number(r.count), n, `keys under ${prefix}`)
    const got = new Map(r.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]))
    for (let i = 0; i < n; i++) assert.equal(got.get(`${prefix}${i}`), `v${i}`, `${prefix}${i}`)
  })
}

/** Polls `ok` until it holds, failing with `what()` after `timeoutMs`. */
async function until(ok: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${what()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function snapFiles(dataDir: string): string[] {
  return fs.readdirSync(path.join(dataDir, 'member', 'snap')).filter((n) => n.endsWith('.snap'))
}

function walFiles(dataDir: string): string[] {
  return fs.readdirSync(path.join(dataDir, 'member', 'wal')).filter((n) => n.endsWith('.wal'))
}

describe('a member restarts at every seam', function () {
  this.timeout(180000)
  const dirs: string[] = []
  const procs: ServerProc[] = []
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill9()))
    for (const d of dirs.splice(0)) removeDir(d)
  })

  async function member(
    dataDir: string,
    extraArgs: string[],
    env: NodeJS.ProcessEnv = {},
    ports?: { clientPort: number; peerPort: number },
  ): Promise<ServerProc> {
    const o: StartOptions = { dataDir, extraArgs, env, ...ports }
    const p = await startTsetcd(o)
    procs.push(p)
    return p
  }

  function newDataDir(): { root: string; dataDir: string } {
    const root = tmpDir('tsetcd-restart-')
    dirs.push(root)
    return { root, dataDir: path.join(root, 'data') }
  }

  /** SIGTERM; the member must exit cleanly. */
  async function stopped(p: ServerProc): Promise<void> {
    assert.equal(await p.stop(), 0, `clean stop:\n${p.log()}`)
    procs.splice(procs.indexOf(p), 1)
  }

  function portsOf(p: ServerProc) {
    return { clientPort: Number(new URL(p.clientUrl).port), peerPort: Number(new URL(p.peerUrl).port) }
  }

  async function restart(
    p: ServerProc,
    how: 'SIGTERM' | 'SIGKILL',
    dataDir: string,
    extraArgs: string[],
    env: NodeJS.ProcessEnv = {},
  ): Promise<ServerProc> {
    if (how === 'SIGTERM') assert.equal(await p.stop(), 0, `clean stop:\n${p.log()}`)
    else await p.kill9()
    procs.splice(procs.indexOf(p), 1)
    return member(dataDir, extraArgs, env, portsOf(p))
  }

  for (const count of [1, 2, 5, 100]) {
    it(`--snapshot-count ${count}: restarts after snapshots, by SIGTERM and by kill -9, keep every write`, async () => {
      const { dataDir } = newDataDir()
      const args = ['--snapshot-count', String(count)]
      let p = await member(dataDir, args)
      let n = 0
      for (const how of ['SIGTERM', 'SIGKILL', 'SIGTERM', 'SIGKILL'] as const) {
        const more = 3 * count + 7
        await putRange(p, 'k/', n, n + more)
        n += more
        p = await restart(p, how, dataDir, args)
        await checkRange(p, 'k/', n)
        // the restarted member takes writes, and takes its next snapshot
        await putRange(p, 'k/', n, n + count + 1)
        n += count + 1
        await checkRange(p, 'k/', n)
      }
      assert.ok(snapFiles(dataDir).length > 0, 'snapshots were taken')
      assert.doesNotMatch(p.log(), /raft loop failed/)
    })
  }

  it('--snapshot-count 10000: restarts after the first snapshot', async () => {
    const { dataDir } = newDataDir()
    const args = ['--snapshot-count', '10000']
    let p = await member(dataDir, args)
    await putRange(p, 'k/', 0, 10050, 64)
    assert.ok(snapFiles(dataDir).length > 0, 'a snapshot was taken')
    p = await restart(p, 'SIGKILL', dataDir, args)
    await checkRange(p, 'k/', 10050)
    p = await restart(p, 'SIGTERM', dataDir, args)
    await putRange(p, 'k/', 10050, 10100)
    await checkRange(p, 'k/', 10100)
  })

  it('restarts after WAL segments and snapshot files were purged', async () => {
    const { dataDir } = newDataDir()
    const args = ['--snapshot-count', '20', '--max-wals', '2', '--max-snapshots', '1']
    const env = { TSETCD_WAL_SEGMENT_BYTES: '8192' }
    let p = await member(dataDir, args, env)
    await putRange(p, 'k/', 0, 800)
    const wals = walFiles(dataDir)
    assert.ok(
      !wals.includes('0000000000000000-0000000000000000.wal'),
      `the first segment was purged: ${wals.join(' ')}`,
    )
    // The purge runs right after each snapshot is saved: wait for it to settle.
    await until(
      () => snapFiles(dataDir).length === 1,
      10000,
      () => `snapshot files: ${snapFiles(dataDir).join(' ')}`,
    )
    p = await restart(p, 'SIGTERM', dataDir, args, env)
    await checkRange(p, 'k/', 800)
    await putRange(p, 'k/', 800, 1000)
    p = await restart(p, 'SIGKILL', dataDir, args, env)
    await checkRange(p, 'k/', 1000)
  })

  it('a snapshot file without its WAL marker (crash between the two) is passed over', async () => {
    const { dataDir } = newDataDir()
    const args = ['--snapshot-count', '10']
    let p = await member(dataDir, args)
    await putRange(p, 'k/', 0, 55)
    await stopped(p)
    // A newer snapshot file than any the WAL knows, as a crash right after saving it leaves.
    const snaps = new Snapshotter(path.join(dataDir, 'member', 'snap'))
    const newest = (await snaps.list())[0]!
    await snaps.save({
      metadata: { index: newest.index + 1000, term: newest.term, confState: { voters: [1n], learners: [] } },
      data: new Uint8Array(0),
    })
    p = await member(dataDir, args, {}, portsOf(p))
    await checkRange(p, 'k/', 55)
    await putRange(p, 'k/', 55, 80)
    await checkRange(p, 'k/', 80)
  })

  it('refuses to start when the database has applied entries the WAL lost, naming both', async () => {
    const { dataDir } = newDataDir()
    const p = await member(dataDir, [])
    const puts = 20
    await putRange(p, 'k/', 0, puts, 1)
    await stopped(p)
    // Zero from the sector holding the last put's entry to the end of the data: the WAL reads
    // that as a torn write and cuts it. (The last write alone may hold no entry: after the last
    // put, a write of the hard state alone records its commit.)
    const walDir = path.join(dataDir, 'member', 'wal')
    const last = path.join(walDir, walFiles(dataDir).sort().at(-1)!)
    const buf = fs.readFileSync(last)
    let end = buf.length
    while (end > 0 && buf[end - 1] === 0) end--
    const lastPut = buf.lastIndexOf(enc(`k/${puts - 1}`))
    assert.ok(lastPut >= 0, 'the last put is in the last WAL segment')
    const sector = Math.floor(lastPut / 512) * 512
    buf.fill(0, sector, end)
    fs.writeFileSync(last, buf)
    await assert.rejects(member(dataDir, [], {}, portsOf(p)), (err: Error) => {
      assert.match(err.message, /has applied raft index \d+, but the WAL ends at index \d+/)
      assert.match(err.message, /exited with 1/)
      return true
    })
  })

  it('a swap cut short (db.old without db) puts the old database back', async () => {
    const { dataDir } = newDataDir()
    let p = await member(dataDir, ['--snapshot-count', '10'])
    await putRange(p, 'k/', 0, 35)
    await stopped(p)
    const db = path.join(dataDir, 'member', 'db')
    fs.renameSync(db, db + '.old')
    p = await member(dataDir, ['--snapshot-count', '10'], {}, portsOf(p))
    await checkRange(p, 'k/', 35)
  })

  it('a crash after a received snapshot was made durable, before its database was swapped in, installs that database', async () => {
    const { root, dataDir } = newDataDir()
    const args = ['--snapshot-count', '10']
    let p = await member(dataDir, args)
    await putRange(p, 'k/', 0, 5)
    await stopped(p)
    const db = path.join(dataDir, 'member', 'db')
    const early = path.join(root, 'db-early')
    fs.cpSync(db, early, { recursive: true })
    p = await member(dataDir, args, {}, portsOf(p))
    await putRange(p, 'k/', 5, 60)
    await stopped(p)
    // The WAL names snapshot (term, index); its database copy is staged, the live one is
    // older: the state right after the snapshot's marker was written.
    const newest = (await new Snapshotter(path.join(dataDir, 'member', 'snap')).list())[0]!
    const hex = (n: number) => n.toString(16).padStart(16, '0')
    fs.renameSync(db, path.join(dataDir, 'member', `db.snap-${hex(newest.term)}-${hex(newest.index)}`))
    fs.renameSync(early, db)
    p = await member(dataDir, args, {}, portsOf(p))
    await checkRange(p, 'k/', 60)
    await withClient(p, async (c) => {
      const s = await c.call(MaintenanceService.Status, {})
      assert.ok(Number(s.raftAppliedIndex) >= newest.index)
    })
  })
})
