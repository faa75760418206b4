/**
 * make-mirror: a tsetcd source mirrored into a real etcd and into a second tsetcd under a write
 * load of puts, overwrites, deletes and multi-key txns; with the prefix kept, replaced
 * (--dest-prefix) and dropped (--no-dest-prefix); and a new run after the source restarted.
 * Argument errors are compared with etcdctl's.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { EtcdClient } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import {
  ETCDCTL,
  TSETCD,
  etcdVersion,
  run,
  runTsetcd,
  startEtcd,
  startTsetcd,
  type ServerProc,
} from '../helpers/procs.js'
import { Rng } from '../helpers/rng.js'
import { waitFor } from '../helpers/wait.js'

interface Mirror {
  child: ChildProcess
  out: () => string
  stdout: () => string
  exited: Promise<number | null>
}

function mirror(src: string, ...args: string[]): Mirror {
  return launch(process.execPath, [TSETCD, 'make-mirror', '--endpoints', src, ...args])
}

function launch(cmd: string, args: string[]): Mirror {
  const child = spawn(cmd, args, { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  let stdout = ''
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString()
    stdout += d.toString()
  })
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()))
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)))
  return { child, out: () => text, stdout: () => stdout, exited }
}

async function stopMirror(m: Mirror): Promise<void> {
  if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGTERM')
  await m.exited
}

/** `etcdctl get --prefix -w json` as a key → value map (revisions differ by nature). */
async function pairs(endpoint: string, prefix: string): Promise<Map<string, string>> {
  const args = [
    '--endpoints',
    endpoint,
    'get',
    '-w',
    'json',
    ...(prefix === '' ? ['--from-key', ''] : ['--prefix', prefix]),
  ]
  const r = await run(ETCDCTL, args, { timeoutMs: 30000 })
  assert.equal(r.code, 0, r.stderr)
  const kvs = (JSON.parse(r.stdout) as { kvs?: { key: string; value?: string }[] }).kvs ?? []
  return new Map(
    kvs.map((kv) => [Buffer.from(kv.key, 'base64').toString(), Buffer.from(kv.value ?? '', 'base64').toString()]),
  )
}

function renamed(m: Map<string, string>, from: string, to: string): Map<string, string> {
  return new Map([...m].map(([k, v]) => [to + k.slice(from.length), v]))
}

async function inSync(
  what: string,
  source: () => Promise<Map<string, string>>,
  dest: () => Promise<Map<string, string>>,
) {
  let last = ''
  await waitFor(
    async () => {
      const [s, d] = await Promise.all([source(), dest()])
      last = `source ${JSON.stringify([...s])}\ndest ${JSON.stringify([...d])}`
      return JSON.stringify([...s].sort()) === JSON.stringify([...d].sort())
    },
    60000,
    `${what} in sync`,
    200,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${last}`)
  })
}

const b = (s: string) => Buffer.from(s)

/** Puts, overwrites, deletes and txns of several keys under /m/ (and noise outside it). */
async function load(c: EtcdClient, rng: Rng, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const k = `/m/k${rng.int(40)}`
    const roll = rng.int(10)
    if (roll < 5) await c.call(KVService.Put, { key: b(k), value: b(`${tag}-${i}`) })
    else if (roll < 7) await c.call(KVService.DeleteRange, { key: b(k) })
    else if (roll < 9)
      await c.call(KVService.Txn, {
        success: [
          { request_put: { key: b(`/m/t${rng.int(10)}`), value: b(`${tag}-txn-${i}`) } },
          { request_delete_range: { key: b(`/m/k${rng.int(40)}`) } },
          { request_put: { key: b(`/m/u${rng.int(10)}`), value: b(`${tag}-txn2-${i}`) } },
        ],
      })
    else await c.call(KVService.Put, { key: b(`/other/${i}`), value: b('not mirrored') })
  }
}

describe('make-mirror', function () {
  this.timeout(300000)
  const haveEtcd = etcdVersion() !== undefined
  let src: ServerProc
  let destEtcd: ServerProc
  let destTs: ServerProc
  let client: EtcdClient
  const mirrors: Mirror[] = []

  before(async function () {
    if (!haveEtcd) this.skip()
    ;[src, destEtcd, destTs] = await Promise.all([startTsetcd(), startEtcd(), startTsetcd()])
    client = await EtcdClient.connect({ endpoints: [src.endpoint] })
  })

  after(async () => {
    for (const m of mirrors) await stopMirror(m)
    client?.close()
    await Promise.all([src?.stop(), destEtcd?.stop(), destTs?.stop()])
  })

  it('refuses what etcdctl refuses, with its message and exit code', async () => {
    const cases = [[], ['a:1', 'b:2'], ['--dest-prefix', '/x/', '--no-dest-prefix', destTs.endpoint]]
    for (const args of cases) {
      const [ours, theirs] = await Promise.all([
        runTsetcd(['make-mirror', '--endpoints', src.endpoint, ...args], { timeoutMs: 30000 }),
        run(ETCDCTL, ['make-mirror', '--endpoints', src.endpoint, ...args], { timeoutMs: 30000 }),
      ])
      assert.equal(ours.stderr, theirs.stderr, args.join(' '))
      assert.equal(ours.code, theirs.code, args.join(' '))
    }
  })

  it('keeps a real etcd and a tsetcd in sync, with the prefix kept, replaced and dropped', async () => {
    const rng = new Rng(7)
    await load(client, rng, 60, 'base')
    mirrors.push(mirror(src.endpoint, '--prefix', '/m/', destEtcd.endpoint))
    mirrors.push(mirror(src.endpoint, '--prefix', '/m/', '--dest-prefix', '/copy/', destTs.endpoint))
    mirrors.push(mirror(src.endpoint, '--prefix', '/m/', '--no-dest-prefix', destTs.endpoint))
    await load(client, rng, 300, 'live')
    const source = () => pairs(src.endpoint, '/m/')
    await inSync('etcd, /m/', source, () => pairs(destEtcd.endpoint, '/m/'))
    await inSync(
      'tsetcd, /copy/',
      async () => renamed(await source(), '/m/', '/copy/'),
      () => pairs(destTs.endpoint, '/copy/'),
    )
    // At the root: every key but the /copy/ ones.
    await inSync(
      'tsetcd, root',
      async () => renamed(await source(), '/m/', ''),
      async () => new Map([...(await pairs(destTs.endpoint, '')).entries()].filter(([k]) => !k.startsWith('/copy/'))),
    )
    assert.equal((await pairs(destEtcd.endpoint, '/other/')).size, 0)
    for (const m of mirrors) assert.equal(m.child.exitCode, null, m.out())
  })

  it('after the source restarts, a new run brings the destination back in sync', async () => {
    for (const m of mirrors.splice(0)) await stopMirror(m)
    client.close()
    const before = await pairs(src.endpoint, '/m/')
    await src.stop()
    src = await startTsetcd({
      dataDir: src.dataDir,
      clientPort: Number(src.endpoint.split(':')[1]),
      peerPort: Number(src.peerUrl.split(':')[2]),
    })
    client = await EtcdClient.connect({ endpoints: [src.endpoint] })
    assert.deepEqual([...(await pairs(src.endpoint, '/m/'))], [...before], 'the source kept its keys')
    assert.deepEqual([...(await pairs(destEtcd.endpoint, '/m/'))], [...before], 'the destination was in sync')
    const rng = new Rng(11)
    // Only puts while no mirror runs: a new run copies the current state, it does not delete.
    for (let i = 0; i < 50; i++)
      await client.call(KVService.Put, { key: b(`/m/k${rng.int(40)}`), value: b(`after-${i}`) })
    mirrors.push(mirror(src.endpoint, '--prefix', '/m/', destEtcd.endpoint))
    // Deletes before the run's starting revision are not replayed: load once it started.
    await client.call(KVService.Put, { key: b('/m/started'), value: b('yes') })
    await waitFor(async () => (await pairs(destEtcd.endpoint, '/m/started')).size === 1, 30000, 'the run', 100)
    await load(client, rng, 100, 'again')
    await inSync(
      'etcd after restart',
      () => pairs(src.endpoint, '/m/'),
      () => pairs(destEtcd.endpoint, '/m/'),
    )
  })

  it('waits while the destination is away, catches up, and counts as etcdctl does', async () => {
    const ours = mirror(src.endpoint, '--prefix', '/m/', '--dest-prefix', '/t/', destTs.endpoint)
    const theirs = launch(ETCDCTL, [
      'make-mirror',
      '--endpoints',
      src.endpoint,
      '--prefix',
      '/m/',
      '--dest-prefix',
      '/e/',
      destTs.endpoint,
    ])
    mirrors.push(ours, theirs)
    await client.call(KVService.Put, { key: b('/m/probe'), value: b('1') })
    for (const p of ['/t/probe', '/e/probe'])
      await waitFor(async () => (await pairs(destTs.endpoint, p)).size === 1, 30000, `${p} mirrored`, 100)
    await destTs.stop()
    const rng = new Rng(13)
    await load(client, rng, 40, 'away')
    destTs = await startTsetcd({
      dataDir: destTs.dataDir,
      clientPort: Number(destTs.endpoint.split(':')[1]),
      peerPort: Number(destTs.peerUrl.split(':')[2]),
    })
    await load(client, rng, 40, 'back')
    const source = () => pairs(src.endpoint, '/m/')
    await inSync(
      'tsetcd after its restart',
      async () => renamed(await source(), '/m/', '/t/'),
      () => pairs(destTs.endpoint, '/t/'),
    ).catch((err: Error) => {
      throw new Error(`${err.message.slice(0, 200)}\nours: ${ours.out()}`)
    })
    await inSync(
      'etcdctl after its restart',
      async () => renamed(await source(), '/m/', '/e/'),
      () => pairs(destTs.endpoint, '/e/'),
    )
    assert.equal(ours.child.exitCode, null, ours.out())
    // Every 30 s, the count of keys and events mirrored: the same for both.
    await waitFor(
      () => /^\d+\n/.test(ours.stdout()) && /^\d+\n/.test(theirs.stdout()),
      60000,
      'the count lines',
      200,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nours: ${JSON.stringify(ours.out())}\ntheirs: ${JSON.stringify(theirs.out())}`)
    })
    assert.equal(ours.stdout().split('\n')[0], theirs.stdout().split('\n')[0], `${ours.out()}\n${theirs.out()}`)
  })
})
