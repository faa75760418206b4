import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { EtcdClient } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { waitFor } from '../helpers/wait.js'
import { TSETCD, freePorts, removeDir, run, startTsetcd, tmpDir, type ServerProc } from '../helpers/procs.js'

const serve = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [TSETCD, 'serve', ...args], { env, timeoutMs: 15000 })

async function client(s: ServerProc): Promise<EtcdClient> {
  return EtcdClient.connect({ endpoints: [s.endpoint], dialTimeoutMs: 2000 })
}

describe('tsetcd serve', function () {
  this.timeout(60000)
  const dirs: string[] = []
  const servers: ServerProc[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.kill9()))
  })
  after(() => dirs.forEach(removeDir))

  describe('what it prints without starting a member', () => {
    it("prints etcd's version lines, etcd's usage for -h, and the command's help for --help", async () => {
      const v = await serve(['--version'])
      assert.equal(v.code, 0)
      assert.match(
        v.stdout,
        /^etcd Version: \d+\.\d+\.\d+\nGit SHA: Not provided\nGo Version: .*\nGo OS\/Arch: \w+\/\w+\n$/,
      )
      const h = await serve(['-h'])
      assert.equal(h.code, 0)
      assert.match(h.stdout, /^Usage:\n/)
      assert.match(h.stdout, /--initial-cluster/)
      // --help is the program's help for the command, as for every other command.
      const help = await serve(['--help'])
      assert.equal(help.code, 0)
      assert.match(help.stdout, /^Run a tsetcd member \(takes etcd's flags, ETCD_\* variables and --config-file\)\n/)
      assert.match(help.stdout, /USAGE\n/)
    })
  })

  describe('flag validation at start-up', () => {
    it('rejects an unknown flag, naming it, with exit status 2', async () => {
      const r = await serve(['--bogus-flag=1'])
      assert.equal(r.code, 2)
      assert.match(r.stderr, /^flag provided but not defined: -bogus-flag\n/)
    })

    it('rejects a malformed value, naming the flag', async () => {
      const r = await serve(['--max-txn-ops=abc'])
      assert.equal(r.code, 2)
      assert.match(r.stderr, /^invalid value "abc" for flag -max-txn-ops: parse error\n/)
      const d = await serve(['--grpc-keepalive-min-time', '5 parsecs'])
      assert.match(d.stderr, /invalid value "5 parsecs" for flag -grpc-keepalive-min-time: parse error/)
    })

    it('rejects a malformed ETCD_* variable, naming it', async () => {
      const r = await serve([], { ETCD_QUOTA_BACKEND_BYTES: 'lots' })
      assert.equal(r.code, 1)
      assert.match(r.stderr, /invalid value "lots" for ETCD_QUOTA_BACKEND_BYTES: parse error/)
    })

    it('requires --advertise-client-urls with explicit --listen-client-urls, and an IP to listen on', async () => {
      const r = await serve(['--listen-client-urls', 'http://127.0.0.1:1'])
      assert.equal(r.code, 1)
      assert.match(r.stderr, /--advertise-client-urls is required when --listen-client-urls is set explicitly/)
      const d = await serve([
        '--listen-client-urls',
        'http://example.com:2379',
        '--advertise-client-urls',
        'http://example.com:2379',
      ])
      assert.equal(d.code, 1)
      assert.match(d.stderr, /--listen-client-urls: expected IP in URL for binding \(http:\/\/example.com:2379\)/)
    })

    it('refuses a flag it does not support yet given a value other than its default, naming it', async () => {
      const r = await serve(['--force-new-cluster'])
      assert.equal(r.code, 1)
      assert.match(
        r.stderr,
        /^--force-new-cluster is not supported yet by tsetcd \(given "true"; only the default "false" is accepted\)\n/,
      )
    })

    it("checks etcd's timing rules", async () => {
      const r = await serve(['--heartbeat-interval', '300', '--election-timeout', '1000'])
      assert.equal(r.code, 1)
      assert.match(
        r.stderr,
        /--election-timeout\[1000ms\] should be at least as 5 times as --heartbeat-interval\[300ms\]/,
      )
    })

    it('reports a missing or invalid config file', async () => {
      const r = await serve(['--config-file', '/nonexistent/tsetcd.yml'])
      assert.equal(r.code, 1)
      assert.match(r.stderr, /open \/nonexistent\/tsetcd.yml: no such file or directory/)
      const dir = tmpDir('tsetcd-conf-')
      dirs.push(dir)
      fs.writeFileSync(path.join(dir, 'bad.yml'), 'max-txn-ops: many\n')
      const b = await serve(['--config-file', path.join(dir, 'bad.yml')])
      assert.equal(b.code, 1)
      assert.match(b.stderr, /invalid value "many" for max-txn-ops/)
    })
  })

  it('starts from an etcd config file, ignoring other flags and ETCD_* variables', async () => {
    const dir = tmpDir('tsetcd-conf-')
    dirs.push(dir)
    const [cp, pp] = await freePorts(2)
    const conf = path.join(dir, 'etcd1_conf.yml')
    fs.writeFileSync(
      conf,
      [
        'name: etcd1',
        `data-dir: ${dir}/etcd1/data`,
        `listen-client-urls: http://127.0.0.1:${cp}`,
        `advertise-client-urls: http://127.0.0.1:${cp}`,
        `listen-peer-urls: http://127.0.0.1:${pp}`,
        `initial-advertise-peer-urls: http://127.0.0.1:${pp}`,
        `initial-cluster: etcd1=http://127.0.0.1:${pp}`,
        'initial-cluster-token: etcd-cluster-1',
        'initial-cluster-state: new',
        'max-txn-ops: 2',
        '',
      ].join('\n'),
    )
    const s = await startTsetcd({
      args: ['--config-file', conf, '--max-txn-ops', '100'],
      clientPort: cp,
      peerPort: pp,
      env: { ETCD_NAME: 'ignored' },
    })
    servers.push(s)
    assert.ok(fs.existsSync(`${dir}/etcd1/data/member`), 'the data dir from the file is used')
    const c = await client(s)
    try {
      const ops = [1, 2, 3].map((i) => ({ request_put: { key: Buffer.from(`k${i}`), value: Buffer.from('v') } }))
      await assert.rejects(c.call(KVService.Txn, { success: ops }), /etcdserver: too many operations in txn request/)
      const ok = await c.call(KVService.Txn, { success: ops.slice(0, 2) })
      assert.equal(ok.succeeded, true)
    } finally {
      c.close()
    }
  })

  it('--log-outputs writes to a file, appending, and refuses systemd/journal', async () => {
    const dir = tmpDir('tsetcd-log-')
    dirs.push(dir)
    const file = path.join(dir, 'etcd.log')
    fs.writeFileSync(file, 'earlier line\n')
    const s = await startTsetcd({ extraArgs: ['--log-outputs', file] })
    servers.push(s)
    await waitFor(() => fs.readFileSync(file, 'utf8').includes('ready to serve client requests'), 10000, 'ready')
    assert.equal(await s.stop(), 0)
    const text = fs.readFileSync(file, 'utf8')
    assert.match(text, /^earlier line\n\{"level":"info"/)
    assert.match(text, /"msg":"ready to serve client requests"/)
    assert.match(text, /"msg":"stopped member"/)
    assert.doesNotMatch(s.log(), /ready to serve client requests/)

    const j = await serve(['--log-outputs', 'systemd/journal'])
    assert.equal(j.code, 1)
    assert.match(j.stderr, /^--log-outputs=systemd\/journal is not supported by tsetcd: /)
    const bad = await serve(['--log-outputs', path.join(dir, 'missing', 'etcd.log')])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /open .*missing\/etcd.log: no such file or directory/)
  })

  it('takes its settings from ETCD_* variables', async () => {
    const dir = tmpDir('tsetcd-env-')
    dirs.push(dir)
    const [cp, pp] = await freePorts(2)
    const s = await startTsetcd({
      args: [],
      clientPort: cp,
      peerPort: pp,
      env: {
        ETCD_NAME: 'envnode',
        ETCD_DATA_DIR: `${dir}/data`,
        ETCD_LISTEN_CLIENT_URLS: `http://127.0.0.1:${cp}`,
        ETCD_ADVERTISE_CLIENT_URLS: `http://127.0.0.1:${cp}`,
        ETCD_LISTEN_PEER_URLS: `http://127.0.0.1:${pp}`,
        ETCD_INITIAL_ADVERTISE_PEER_URLS: `http://127.0.0.1:${pp}`,
        ETCD_INITIAL_CLUSTER: `envnode=http://127.0.0.1:${pp}`,
        ETCD_MAX_REQUEST_BYTES: '1024',
      },
    })
    servers.push(s)
    const c = await client(s)
    try {
      await c.call(KVService.Put, { key: Buffer.from('small'), value: Buffer.alloc(100) })
      await assert.rejects(
        c.call(KVService.Put, { key: Buffer.from('big'), value: Buffer.alloc(2000) }),
        /etcdserver: request is too large/,
      )
      const r = await c.call(KVService.Range, { key: Buffer.from('small') })
      assert.equal(r.count, 1, 'the server keeps serving after refusing a request')
    } finally {
      c.close()
    }
    assert.ok(fs.existsSync(`${dir}/data/member/identity.json`))
  })

  it('stops cleanly on SIGTERM and keeps its data across restarts', async () => {
    const s = await startTsetcd()
    const c = await client(s)
    for (let i = 0; i < 20; i++)
      await c.call(KVService.Put, { key: Buffer.from(`key${i}`), value: Buffer.from(`value${i}`) })
    await c.call(KVService.DeleteRange, { key: Buffer.from('key0') })
    c.close()
    assert.equal(await s.stop(), 0)
    const again = await startTsetcd({
      args: s.proc.spawnargs.slice(3),
      clientPort: Number(s.endpoint.split(':')[1]),
      peerPort: Number(s.peerUrl.split(':')[2]),
    })
    servers.push(again)
    const c2 = await client(again)
    try {
      const r = await c2.call(KVService.Range, { key: Buffer.from('key'), range_end: Buffer.from('kez') })
      assert.equal(r.count, 19)
      assert.equal(r.header!.revision, 22, 'revision survives the restart')
      const old = await c2.call(KVService.Range, { key: Buffer.from('key0'), revision: 2 })
      assert.equal(old.kvs[0].value.toString(), 'value0', 'history survives the restart')
    } finally {
      c2.close()
    }
  })

  it('loses no acknowledged write when killed with SIGKILL under concurrent load', async () => {
    const s = await startTsetcd()
    const acked = new Map<string, string>()
    const c = await client(s)
    let stop = false
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const key = `w${w}-${i}`
        try {
          await c.call(KVService.Put, { key: Buffer.from(key), value: Buffer.from(`v${i}`) }, 2000)
          acked.set(key, `v${i}`)
        } catch {
          return
        }
      }
    }
    const writers = Array.from({ length: 16 }, (_, w) => writer(w))
    await new Promise((r) => setTimeout(r, 1500))
    await s.kill9()
    stop = true
    await Promise.all(writers)
    c.close()
    assert.ok(acked.size > 50, `enough writes were acknowledged before the kill (${acked.size})`)
    const again = await startTsetcd({
      args: s.proc.spawnargs.slice(3),
      clientPort: Number(s.endpoint.split(':')[1]),
      peerPort: Number(s.peerUrl.split(':')[2]),
    })
    servers.push(again)
    const c2 = await client(again)
    try {
      const r = await c2.call(KVService.Range, { key: Buffer.from('w'), range_end: Buffer.from('x') })
      const stored = new Map(r.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]))
      for (const [k, v] of acked) assert.equal(stored.get(k), v, `acknowledged write ${k} survived`)
    } finally {
      c2.close()
    }
  })
})
