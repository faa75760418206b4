import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import tls from 'node:tls'
import { writeCrl } from '../helpers/crl.js'
import {
  ETCDCTL,
  TSETCD,
  freePorts,
  haveBinary,
  removeDir,
  run,
  startTsetcd,
  tmpDir,
  userStderr,
  type RunResult,
  type ServerProc,
  waitReady,
} from '../helpers/procs.js'

/** `tsetcd cert …` in `cwd`; fails the test when it fails. */
async function cert(cwd: string, ...args: string[]): Promise<void> {
  const r = await run(process.execPath, [TSETCD, 'cert', ...args, '--out-dir', cwd])
  assert.equal(r.code, 0, `tsetcd cert ${args.join(' ')}: ${r.stderr}`)
}

/** The CN of the certificate a new connection is served. */
function servedCn(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      resolve(String(s.getPeerCertificate().subject?.CN))
      s.destroy()
    })
    s.on('error', reject)
  })
}

const errorLine = (r: RunResult) => userStderr(r.stderr).trim()

describe('TLS on the client port: tsetcd serve, etcdctl and tsetcd client', function () {
  this.timeout(120000)
  let dir = ''
  let pki = ''
  let other = ''
  let live = ''
  let member: ServerProc
  let httpsPort = 0
  let httpPort = 0
  const extra: ServerProc[] = []
  const f = (name: string) => path.join(pki, name)
  const good = () => ['--cacert', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')]
  const https = () => `https://127.0.0.1:${httpsPort}`
  const tsetcd = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, [TSETCD, '--dial-timeout', '1s', ...args], { env })
  const etcdctl = (args: string[]) => run(ETCDCTL, ['--command-timeout', '2s', ...args])

  before(async () => {
    dir = tmpDir('tsetcd-tls-')
    pki = path.join(dir, 'pki')
    other = path.join(dir, 'other')
    live = path.join(dir, 'live')
    await Promise.all([cert(pki, 'init', '--member', 'm1=127.0.0.1'), cert(other, 'init', '--member', 'm1=127.0.0.1')])
    fs.writeFileSync(
      path.join(dir, 'server-only.json'),
      JSON.stringify({
        signing: {
          default: { expiry: '1h' },
          profiles: { serveronly: { usages: ['signing', 'key encipherment', 'server auth'] } },
        },
      }),
    )
    const ca = ['--ca', f('ca.pem'), '--ca-key', f('ca-key.pem')]
    await Promise.all([
      cert(pki, 'client', ...ca, '--cn', 'old', '--expiry', '1s', '--bare', 'expired'),
      cert(
        pki,
        'gencert',
        ...ca,
        '--config',
        path.join(dir, 'server-only.json'),
        '--profile',
        'serveronly',
        '--cn',
        'so',
        '--bare',
        'serveronly',
      ),
      cert(pki, 'server', ...ca, '--cn', 'rotated', '--hosts', '127.0.0.1,localhost', '--bare', 'rotated'),
    ])
    fs.mkdirSync(live)
    fs.copyFileSync(f('m1.pem'), path.join(live, 'server.pem'))
    fs.copyFileSync(f('m1-key.pem'), path.join(live, 'server-key.pem'))
    const [hp, cp, pp] = await freePorts(3)
    httpsPort = hp
    httpPort = cp
    member = await startTsetcd({
      clientPort: hp,
      peerPort: pp,
      ready: false,
      args: [
        '--name',
        'm1',
        '--data-dir',
        path.join(dir, 'data'),
        '--listen-client-urls',
        `https://127.0.0.1:${hp},http://127.0.0.1:${cp}`,
        '--advertise-client-urls',
        `https://127.0.0.1:${hp}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${pp}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${pp}`,
        '--initial-cluster',
        `m1=http://127.0.0.1:${pp}`,
        '--cert-file',
        path.join(live, 'server.pem'),
        '--key-file',
        path.join(live, 'server-key.pem'),
        '--trusted-ca-file',
        f('ca.pem'),
        '--client-cert-auth',
      ],
    })
    await waitReady(https(), member.proc, member.log, 20000, {
      caFile: f('ca.pem'),
      certFile: f('client.pem'),
      keyFile: f('client-key.pem'),
    })
  })
  after(async () => {
    await Promise.all([member, ...extra].filter(Boolean).map((s) => s.kill9()))
    if (dir) removeDir(dir)
  })

  it('etcdctl with --cacert --cert --key puts and gets', async function () {
    if (!haveBinary(ETCDCTL)) {
      console.log(`      skipped: ${ETCDCTL} not installed (apt-get install etcd-client)`)
      this.skip()
    }
    const put = await etcdctl(['--endpoints', https(), ...good(), 'put', 'k1', 'v1'])
    assert.deepEqual([put.code, put.stdout], [0, 'OK\n'], put.stderr)
    const get = await etcdctl(['--endpoints', https(), ...good(), 'get', 'k1'])
    assert.deepEqual([get.code, get.stdout], [0, 'k1\nv1\n'], get.stderr)
  })

  it('etcdctl without a client certificate, with a foreign or an expired one is refused; the member keeps serving', async function () {
    if (!haveBinary(ETCDCTL)) this.skip()
    const cacert = ['--cacert', f('ca.pem')]
    const cases = [
      cacert,
      [...cacert, '--cert', path.join(other, 'client.pem'), '--key', path.join(other, 'client-key.pem')],
      [...cacert, '--cert', f('expired.pem'), '--key', f('expired-key.pem')],
    ]
    for (const flags of cases) {
      const r = await etcdctl(['--endpoints', https(), ...flags, 'get', 'k1'])
      // etcdctl 3.4 says no more than this about a refused handshake
      assert.deepEqual([r.code, errorLine(r)], [1, 'Error: context deadline exceeded'], flags.join(' '))
    }
    const after = await etcdctl(['--endpoints', https(), ...good(), 'get', 'k1', '--print-value-only'])
    assert.deepEqual([after.code, after.stdout], [0, 'v1\n'])
  })

  it("tsetcd's client says what failed in the TLS handshake", async () => {
    const ep = ['--endpoints', https()]
    const expect = async (flags: string[], message: string | RegExp) => {
      const r = await tsetcd([...ep, ...flags, 'get', 'k1'])
      assert.equal(r.code, 1, r.stderr)
      if (typeof message === 'string')
        assert.equal(r.stderr, `Error: context deadline exceeded: ${https()}: ${message}\n`)
      else assert.match(r.stderr, message)
    }
    await expect(
      ['--cacert', f('ca.pem')],
      'remote error: tls: certificate required (the server requires a client certificate: pass --cert and --key)',
    )
    await expect(
      ['--cacert', f('ca.pem'), '--cert', path.join(other, 'client.pem'), '--key', path.join(other, 'client-key.pem')],
      /refused client certificate \S+other\/client\.pem \(it closed the connection during the TLS handshake\): x509: certificate signed by unknown authority \(it is issued by "CN=etcd-ca" \(another CA of the same name\), not by the CA in --cacert/,
    )
    await expect(
      ['--cacert', f('ca.pem'), '--cert', f('expired.pem'), '--key', f('expired-key.pem')],
      /refused client certificate \S+expired\.pem \(.*\): x509: certificate has expired or is not yet valid: current time \S+Z is after \S+Z\n$/,
    )
    await expect(
      ['--cacert', f('ca.pem'), '--cert', f('serveronly.pem'), '--key', f('serveronly-key.pem')],
      /refused client certificate \S+serveronly\.pem \(.*\): x509: certificate specifies an incompatible key usage \(its extended key usage is server auth, not client auth\)\n$/,
    )
    await expect(
      ['--cacert', path.join(other, 'ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')],
      `x509: certificate signed by unknown authority (the server's certificate "CN=m1" is issued by "CN=etcd-ca", which --cacert ${path.join(other, 'ca.pem')} does not contain)`,
    )
    await expect(
      ['--cert', f('client.pem'), '--key', f('client-key.pem')],
      /x509: certificate signed by unknown authority \(.*not among the system's trusted CAs: pass that CA with --cacert\)\n$/,
    )
    const plain = await tsetcd(['--endpoints', `127.0.0.1:${httpsPort}`, 'get', 'k1'])
    assert.equal(
      plain.stderr,
      `Error: context deadline exceeded: 127.0.0.1:${httpsPort}: the server expects TLS: use an https:// endpoint (with --cacert, and --cert and --key if it asks for a client certificate)\n`,
    )
    const missing = await tsetcd([...ep, '--cacert', f('nope.pem'), 'get', 'k1'])
    assert.deepEqual([missing.code, missing.stderr], [128, `Error: open ${f('nope.pem')}: no such file or directory\n`])
    const ok = await tsetcd([...ep, ...good(), 'get', 'k1', '--print-value-only'])
    assert.deepEqual([ok.code, ok.stdout], [0, 'v1\n'], ok.stderr)
  })

  it('takes ETCDCTL_CACERT, ETCDCTL_CERT and ETCDCTL_KEY (TLS for scheme-less endpoints)', async () => {
    const env = {
      ETCDCTL_CACERT: f('ca.pem'),
      ETCDCTL_CERT: f('client.pem'),
      ETCDCTL_KEY: f('client-key.pem'),
      ETCDCTL_ENDPOINTS: `127.0.0.1:${httpsPort}`,
    }
    const put = await tsetcd(['put', 'env', 'yes'], env)
    assert.deepEqual([put.code, put.stdout], [0, 'OK\n'], put.stderr)
    const get = await tsetcd(['get', 'env'], env)
    assert.equal(get.stdout, 'env\nyes\n')
  })

  it('serves plain http and https side by side', async () => {
    const put = await tsetcd(['--endpoints', `http://127.0.0.1:${httpPort}`, 'put', 'side', 'by-side'])
    assert.deepEqual([put.code, put.stdout], [0, 'OK\n'], put.stderr)
    const get = await tsetcd(['--endpoints', https(), ...good(), 'get', 'side', '--print-value-only'])
    assert.equal(get.stdout, 'by-side\n')
    const tlsOnHttp = await tsetcd(['--endpoints', `https://127.0.0.1:${httpPort}`, ...good(), 'get', 'side'])
    assert.match(tlsOnHttp.stderr, /tls: first record does not look like a TLS handshake/)
  })

  it('serves a rotated certificate without a restart', async () => {
    assert.equal(await servedCn(httpsPort), 'm1')
    fs.copyFileSync(f('rotated-key.pem'), path.join(live, 'key.tmp'))
    fs.copyFileSync(f('rotated.pem'), path.join(live, 'cert.tmp'))
    fs.renameSync(path.join(live, 'key.tmp'), path.join(live, 'server-key.pem'))
    fs.renameSync(path.join(live, 'cert.tmp'), path.join(live, 'server.pem'))
    const deadline = Date.now() + 10000
    while ((await servedCn(httpsPort)) !== 'rotated') {
      assert.ok(Date.now() < deadline, 'the rotated certificate was not served within 10 s')
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.match(member.log(), /"msg":"reloaded client TLS certificate".*"subject":"CN=rotated"/)
    const get = await tsetcd(['--endpoints', https(), ...good(), 'get', 'k1', '--print-value-only'])
    assert.deepEqual([get.code, get.stdout], [0, 'v1\n'], get.stderr)
    assert.equal(member.proc.exitCode, null)
  })

  it('--auto-tls: a self-signed certificate in <data-dir>/fixtures/client, reachable with --insecure-skip-tls-verify', async () => {
    const [cp, pp] = await freePorts(2)
    const data = path.join(dir, 'auto')
    const url = `https://127.0.0.1:${cp}`
    const s = await startTsetcd({
      clientPort: cp,
      peerPort: pp,
      ready: false,
      name: 'a',
      dataDir: data,
      clientScheme: 'https',
      extraArgs: ['--auto-tls'],
    })
    extra.push(s)
    await waitReady(url, s.proc, s.log, 20000, { insecureSkipVerify: true })
    assert.ok(
      fs.existsSync(path.join(data, 'fixtures', 'client', 'cert.pem')) &&
        fs.existsSync(path.join(data, 'fixtures', 'client', 'key.pem')),
    )
    const put = await tsetcd(['--endpoints', url, '--insecure-skip-tls-verify', 'put', 'auto', 'tls'])
    assert.deepEqual([put.code, put.stdout], [0, 'OK\n'], put.stderr)
    const verified = await tsetcd(['--endpoints', url, 'get', 'auto'])
    assert.match(
      verified.stderr,
      /x509: certificate signed by unknown authority \(the server's certificate "O=etcd" is self-signed/,
    )
    if (haveBinary(ETCDCTL)) {
      const get = await etcdctl([
        '--endpoints',
        url,
        '--insecure-transport=false',
        '--insecure-skip-tls-verify',
        'get',
        'auto',
        '--print-value-only',
      ])
      assert.deepEqual([get.code, get.stdout], [0, 'tls\n'], get.stderr)
    }
  })

  it('--client-crl-file: a revoked client certificate is refused, a good one accepted', async () => {
    const ca = ['--ca', f('ca.pem'), '--ca-key', f('ca-key.pem')]
    await cert(pki, 'client', ...ca, '--cn', 'revoked', '--bare', 'revoked')
    const crl = path.join(dir, 'client-crl.pem')
    await writeCrl(f('ca.pem'), f('ca-key.pem'), [f('revoked.pem')], crl)
    const [cp, pp] = await freePorts(2)
    const url = `https://127.0.0.1:${cp}`
    const s = await startTsetcd({
      clientPort: cp,
      peerPort: pp,
      ready: false,
      name: 'c',
      dataDir: path.join(dir, 'crl'),
      clientScheme: 'https',
      extraArgs: [
        '--cert-file',
        f('m1.pem'),
        '--key-file',
        f('m1-key.pem'),
        '--client-cert-auth',
        '--trusted-ca-file',
        f('ca.pem'),
        '--client-crl-file',
        crl,
      ],
    })
    extra.push(s)
    await waitReady(url, s.proc, s.log, 20000, {
      caFile: f('ca.pem'),
      certFile: f('client.pem'),
      keyFile: f('client-key.pem'),
    })
    const ok = await tsetcd(['--endpoints', url, ...good(), 'put', 'crl', 'ok'])
    assert.deepEqual([ok.code, ok.stdout], [0, 'OK\n'], ok.stderr)
    const revoked = await tsetcd([
      '--endpoints',
      url,
      '--cacert',
      f('ca.pem'),
      '--cert',
      f('revoked.pem'),
      '--key',
      f('revoked-key.pem'),
      'get',
      'crl',
    ])
    assert.notEqual(revoked.code, 0)
    assert.equal(revoked.stdout, '')
    assert.match(s.log(), /"msg":"rejected connection".*"error":"transport: certificate serial [0-9a-f]+ revoked"/)
    if (haveBinary(ETCDCTL)) {
      const r = await etcdctl([
        '--endpoints',
        url,
        '--cacert',
        f('ca.pem'),
        '--cert',
        f('revoked.pem'),
        '--key',
        f('revoked-key.pem'),
        'get',
        'crl',
      ])
      assert.deepEqual([r.code, errorLine(r)], [1, 'Error: context deadline exceeded'])
      const g = await etcdctl(['--endpoints', url, ...good(), 'get', 'crl', '--print-value-only'])
      assert.deepEqual([g.code, g.stdout], [0, 'ok\n'], g.stderr)
    }
  })

  it('stops at start-up with a clear message for an https URL without a certificate, or an unknown cipher suite', async () => {
    const serve = (args: string[]) =>
      run(
        process.execPath,
        [
          TSETCD,
          'serve',
          '--data-dir',
          path.join(dir, 'never'),
          '--listen-client-urls',
          'https://127.0.0.1:1',
          '--advertise-client-urls',
          'https://127.0.0.1:1',
          ...args,
        ],
        { timeoutMs: 15000 },
      )
    const noCert = await serve([])
    assert.equal(noCert.code, 1)
    assert.match(
      noCert.stderr,
      /tsetcd: TLS key\/cert \(--cert-file, --key-file\) must be provided for client url https:\/\/127\.0\.0\.1:1 with HTTPS scheme\n/,
    )
    const cipher = await serve([
      '--cert-file',
      f('m1.pem'),
      '--key-file',
      f('m1-key.pem'),
      '--cipher-suites',
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_NOPE',
    ])
    assert.equal(cipher.code, 1)
    assert.match(cipher.stderr, /tsetcd: unexpected TLS cipher suite "TLS_NOPE"\n/)
    assert.equal(fs.existsSync(path.join(dir, 'never')), false)
  })
})
