import assert from 'node:assert/strict'
import path from 'node:path'
import {
  ETCD,
  ETCDCTL,
  TSETCD,
  freePorts,
  haveBinary,
  removeDir,
  run,
  startEtcd,
  tmpDir,
  userStderr,
  type ServerProc,
  waitReady,
} from '../helpers/procs.js'
import { runScript, type Step, type StepResult } from './kv-script.js'

/** KV commands over TLS; run by etcdctl and by tsetcd against identical fresh etcd members. */
const TLS_SCRIPT: Step[] = [
  { args: ['put', 'foo', 'bar'] },
  { args: ['get', 'foo'] },
  { args: ['get', 'foo', '-w', 'json'] },
  { args: ['put', 'foo', 'bar2', '--prev-kv', '-w', 'json'] },
  { args: ['put', 'foo2', 'x'] },
  { args: ['get', 'foo', '--prefix', '-w', 'fields'] },
  { args: ['get', 'foo', '-w', 'table'] },
  { args: ['get', 'foo', '--rev=1000'] },
  { args: ['txn', '-w', 'json'], input: 'value("foo") = "bar2"\n\nput foo txn\nget foo\n\nput foo nope\n\n' },
  { args: ['del', 'foo', '--prefix', '--prev-kv'] },
  { args: ['compaction', '3'] },
  { args: ['get', '', '--prefix', '-w', 'json'] },
]

describe('TLS interop: tsetcd client against etcd with client certificates', function () {
  this.timeout(180000)
  const missing = [ETCD, ETCDCTL].filter((b) => !haveBinary(b))
  let dir = ''
  const servers: ServerProc[] = []
  const f = (name: string) => path.join(dir, 'pki', name)
  const clientFlags = () => ['--cacert', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')]

  before(async function () {
    if (missing.length) {
      console.log(`      skipped: ${missing.join(', ')} not installed (apt-get install etcd-server etcd-client)`)
      this.skip()
    }
    dir = tmpDir('tsetcd-tls-interop-')
    const init = await run(process.execPath, [
      TSETCD,
      'cert',
      'init',
      '--member',
      'etcd=127.0.0.1',
      '--out-dir',
      path.join(dir, 'pki'),
    ])
    assert.equal(init.code, 0, init.stderr)
    const expired = await run(process.execPath, [
      TSETCD,
      'cert',
      'client',
      '--ca',
      f('ca.pem'),
      '--ca-key',
      f('ca-key.pem'),
      '--cn',
      'old',
      '--expiry',
      '1s',
      '--bare',
      'expired',
      '--out-dir',
      path.join(dir, 'pki'),
    ])
    assert.equal(expired.code, 0, expired.stderr)
  })
  after(async () => {
    await Promise.all(servers.map((s) => s.kill9()))
    if (dir) removeDir(dir)
  })

  /** A fresh etcd serving https with --client-cert-auth; members share name and advertised peer URL, so their IDs match. */
  async function freshEtcd(peer: number): Promise<{ s: ServerProc; url: string }> {
    const [cp] = await freePorts(1)
    const url = `https://127.0.0.1:${cp}`
    const data = path.join(dir, `etcd-${cp}`)
    const s = await startEtcd({
      clientPort: cp,
      peerPort: peer,
      ready: false,
      args: [
        '--name',
        'default',
        '--data-dir',
        `${data}/data`,
        '--listen-client-urls',
        url,
        '--advertise-client-urls',
        url,
        '--listen-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-cluster',
        `default=http://127.0.0.1:${peer}`,
        '--cert-file',
        f('etcd.pem'),
        '--key-file',
        f('etcd-key.pem'),
        '--trusted-ca-file',
        f('ca.pem'),
        '--client-cert-auth',
      ],
    })
    servers.push(s)
    await waitReady(url, s.proc, s.log, 20000, {
      caFile: f('ca.pem'),
      certFile: f('client.pem'),
      keyFile: f('client-key.pem'),
    })
    return { s, url }
  }

  it('tsetcd client commands over TLS print what etcdctl prints', async () => {
    const [peer] = await freePorts(1)
    const a = await freshEtcd(peer)
    const reference = await runScript((args) => [ETCDCTL, [...clientFlags(), ...args]], a.url, TLS_SCRIPT)
    await a.s.kill9()
    const b = await freshEtcd(peer)
    const ours = await runScript((args) => [process.execPath, [TSETCD, ...clientFlags(), ...args]], b.url, TLS_SCRIPT)
    assert.ok(
      reference.some((r: StepResult) => r.stdout.includes('"kvs"')),
      'the reference run did real work',
    )
    assert.equal(ours.length, reference.length)
    for (let i = 0; i < reference.length; i++)
      assert.deepEqual(ours[i], reference[i], `step ${i}: ${reference[i].args}`)
  })

  it('a refused handshake: etcdctl says "context deadline exceeded", tsetcd says why', async () => {
    const [peer] = await freePorts(1)
    const { url } = await freshEtcd(peer)
    const cases: [string[], RegExp][] = [
      [
        ['--cacert', f('ca.pem')],
        /^remote error: tls: bad certificate \(the server requires a client certificate: pass --cert and --key\)$/,
      ],
      [
        ['--cacert', f('ca.pem'), '--cert', f('expired.pem'), '--key', f('expired-key.pem')],
        /^tls: the server refused client certificate \S+expired\.pem \(remote error: tls: bad certificate\): x509: certificate has expired or is not yet valid: current time \S+Z is after \S+Z$/,
      ],
    ]
    for (const [flags, why] of cases) {
      const theirs = await run(ETCDCTL, ['--endpoints', url, '--command-timeout', '2s', ...flags, 'get', 'k'])
      assert.deepEqual([theirs.code, userStderr(theirs.stderr)], [1, 'Error: context deadline exceeded'])
      const ours = await run(process.execPath, [
        TSETCD,
        '--endpoints',
        url,
        '--dial-timeout',
        '1s',
        ...flags,
        'get',
        'k',
      ])
      assert.equal(ours.code, 1)
      const prefix = `Error: context deadline exceeded: ${url}: `
      assert.ok(ours.stderr.startsWith(prefix), ours.stderr)
      assert.match(ours.stderr.slice(prefix.length).trimEnd(), why)
    }
  })
})
