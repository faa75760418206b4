import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { buildConfig } from '../../../src/server/config/config.js'
import { silentLogger } from '../../../src/server/log.js'
import { clientPortSecurity, peerTlsOptions, type ClientPortSecurity } from '../../../src/server/tls/index.js'
import { clientTlsOptions, loadTls, serverTlsOptions } from '../../../src/server/peer/tls.js'
import tls from 'node:tls'
import { makeTestPki, type TestPki } from '../../helpers/certs.js'
import { writeCrl } from '../../helpers/crl.js'
import { grpcServer, tryHandshake } from './handshakes.js'
import { waitFor } from '../../helpers/wait.js'

const URL_TLS = 'https://127.0.0.1:2379'
const URL_PLAIN = 'http://127.0.0.1:2380'

function config(pki: TestPki, extra: string[], urls = URL_TLS) {
  return buildConfig(
    [
      '--data-dir',
      path.join(pki.dir, `data-${Math.random().toString(16).slice(2)}`),
      '--listen-client-urls',
      urls,
      '--advertise-client-urls',
      urls,
      ...extra,
    ],
    {},
  )
}

describe('TLS: client port credentials from etcd flags', function () {
  this.timeout(20000)
  let pki: TestPki
  const open: { stop: () => void }[] = []
  const secs: ClientPortSecurity[] = []
  before(async () => {
    pki = await makeTestPki()
  })
  after(() => fs.rmSync(pki.dir, { recursive: true, force: true }))
  afterEach(() => {
    open.splice(0).forEach((s) => s.stop())
    secs.splice(0).forEach((s) => s.close())
  })

  async function serve(extra: string[], opts = {}): Promise<number> {
    const sec = await clientPortSecurity(config(pki, extra), silentLogger, opts)
    secs.push(sec)
    const s = await grpcServer(sec, URL_TLS)
    open.push(s)
    return s.port
  }
  const files = (p: { cert: string; key: string }) => ['--cert-file', p.cert, '--key-file', p.key]

  it("an https URL without a certificate stops start-up with etcd's message", async () => {
    await assert.rejects(clientPortSecurity(config(pki, []), silentLogger), {
      message:
        'TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:2379 with HTTPS scheme',
    })
    await assert.rejects(
      clientPortSecurity(config(pki, ['--cert-file', pki.server.cert]), silentLogger),
      /--cert-file and --key-file must be given together/,
    )
    await assert.rejects(
      clientPortSecurity(config(pki, ['--cert-file', pki.server.cert, '--key-file', pki.client.key]), silentLogger),
      /tls: private key does not match public key/,
    )
    await assert.rejects(
      clientPortSecurity(
        config(pki, ['--cert-file', path.join(pki.dir, 'nope.pem'), '--key-file', pki.server.key]),
        silentLogger,
      ),
      /open .*nope\.pem: no such file or directory/,
    )
  })

  it('http URLs stay plain next to https ones', async () => {
    const sec = await clientPortSecurity(config(pki, files(pki.server), `${URL_TLS},${URL_PLAIN}`), silentLogger)
    secs.push(sec)
    assert.notEqual(sec.tlsFor(new URL(URL_TLS)), undefined)
    assert.equal(sec.tlsFor(new URL(URL_PLAIN)), undefined)
  })

  it('serves the certificate; without --client-cert-auth any client is accepted', async () => {
    const port = await serve(files(pki.server))
    const r = await tryHandshake(port, {})
    assert.deepEqual([r.accepted, r.serverCn], [true, 'm1'])
  })

  it('--client-cert-auth accepts only certificates of the trusted CA, valid and for client auth', async () => {
    const port = await serve([...files(pki.server), '--trusted-ca-file', pki.ca, '--client-cert-auth'])
    assert.equal((await tryHandshake(port, { cert: pki.client.cert, key: pki.client.key })).accepted, true)
    for (const bad of [undefined, pki.otherClient, pki.expiredClient, pki.serverOnlyClient]) {
      const r = await tryHandshake(port, { cert: bad?.cert, key: bad?.key })
      assert.equal(r.accepted, false, `accepted ${bad?.cert ?? 'no certificate'}`)
    }
  })

  it('--trusted-ca-file alone also requires client certificates, as in etcd', async () => {
    const port = await serve([...files(pki.server), '--trusted-ca-file', pki.ca])
    assert.equal((await tryHandshake(port, {})).accepted, false)
    assert.equal((await tryHandshake(port, { cert: pki.client.cert, key: pki.client.key })).accepted, true)
  })

  it('--tls-min-version TLS1.3 refuses TLS 1.2 clients', async () => {
    const port = await serve([...files(pki.server), '--tls-min-version', 'TLS1.3'])
    assert.equal((await tryHandshake(port, { maxVersion: 'TLSv1.2' })).accepted, false)
    assert.equal((await tryHandshake(port, {})).protocol, 'TLSv1.3')
  })

  it('--tls-max-version TLS1.2 refuses TLS 1.3-only clients; it may not be below --tls-min-version', async () => {
    const port = await serve([...files(pki.server), '--tls-max-version', 'TLS1.2'])
    assert.equal((await tryHandshake(port, {})).protocol, 'TLSv1.2')
    assert.equal((await tryHandshake(port, { minVersion: 'TLSv1.3' })).accepted, false)
    const both = await serve([...files(pki.server), '--tls-min-version', 'TLS1.3', '--tls-max-version', 'TLS1.3'])
    assert.equal((await tryHandshake(both, {})).protocol, 'TLSv1.3')
    assert.throws(() => config(pki, ['--tls-min-version', 'TLS1.3', '--tls-max-version', 'TLS1.2']), {
      message: 'min version (TLS1.3) is greater than max version (TLS1.2)',
    })
    assert.throws(
      () => config(pki, ['--tls-max-version', 'TLS1.1']),
      /invalid value "TLS1.1" for flag -tls-max-version: unsupported TLS version/,
    )
  })

  /** Whether the server keeps a connection with this client certificate open after the handshake. */
  function kept(port: number, c: { cert: string; key: string }): Promise<boolean> {
    return new Promise((resolve) => {
      const sock = tls.connect({
        host: '127.0.0.1',
        port,
        cert: fs.readFileSync(c.cert),
        key: fs.readFileSync(c.key),
        rejectUnauthorized: false,
        ALPNProtocols: ['h2'],
      })
      let timer: NodeJS.Timeout | undefined
      const done = (v: boolean) => {
        if (timer) clearTimeout(timer)
        sock.destroy()
        resolve(v)
      }
      sock.once('secureConnect', () => (timer = setTimeout(() => done(true), 500)))
      sock.on('error', () => done(false))
      sock.once('close', () => done(false))
    })
  }

  it('--client-crl-file refuses revoked client certificates, and re-reads the list when it changes', async () => {
    const crl = path.join(pki.dir, 'client-crl.pem')
    await writeCrl(pki.ca, pki.caKey, [pki.expiredClient.cert], crl)
    const port = await serve([
      ...files(pki.server),
      '--client-cert-auth',
      '--trusted-ca-file',
      pki.ca,
      '--client-crl-file',
      crl,
    ])
    assert.equal(await kept(port, pki.client), true)
    assert.equal(await kept(port, pki.rotated), true)
    await writeCrl(pki.ca, pki.caKey, [pki.client.cert], crl)
    await waitFor(async () => !(await kept(port, pki.client)))
    assert.equal(await kept(port, pki.rotated), true)
    await assert.rejects(
      serve([
        ...files(pki.server),
        '--client-cert-auth',
        '--trusted-ca-file',
        pki.ca,
        '--client-crl-file',
        path.join(pki.dir, 'none.pem'),
      ]),
      /open .*none.pem: no such file or directory/,
    )
  })

  it('--client-cert-allowed-hostname accepts only client certificates valid for that host', async () => {
    const port = await serve([
      ...files(pki.server),
      '--client-cert-auth',
      '--trusted-ca-file',
      pki.ca,
      '--client-cert-allowed-hostname',
      'wrong.example',
    ])
    assert.equal(await kept(port, pki.wrongHost), true)
    assert.equal(await kept(port, pki.server), false)
    assert.equal(await kept(port, pki.client), false)
    const byIp = await serve([
      ...files(pki.server),
      '--client-cert-auth',
      '--trusted-ca-file',
      pki.ca,
      '--client-cert-allowed-hostname',
      '10.9.9.9',
    ])
    assert.equal(await kept(byIp, pki.wrongHost), true)
    assert.equal(await kept(byIp, pki.server), false)
  })

  it('--cipher-suites limits the TLS 1.2 suites', async () => {
    const port = await serve([...files(pki.server), '--cipher-suites', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'])
    const ok = await tryHandshake(port, { maxVersion: 'TLSv1.2' })
    assert.deepEqual([ok.accepted, ok.cipher], [true, 'ECDHE-ECDSA-AES256-GCM-SHA384'])
    const other = await tryHandshake(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })
    assert.equal(other.accepted, false)
  })

  it('serves a rotated certificate to new connections without a restart, and keeps the old one when the new files are broken', async () => {
    const dir = fs.mkdtempSync(path.join(pki.dir, 'rotate-'))
    const live = { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') }
    fs.copyFileSync(pki.server.cert, live.cert)
    fs.copyFileSync(pki.server.key, live.key)
    const port = await serve(files(live), { reloadIntervalMs: 50 })
    assert.equal((await tryHandshake(port, {})).serverCn, 'm1')
    // rotate as tools do: write beside, rename over
    fs.copyFileSync(pki.rotated.key, `${live.key}.new`)
    fs.copyFileSync(pki.rotated.cert, `${live.cert}.new`)
    fs.renameSync(`${live.key}.new`, live.key)
    fs.renameSync(`${live.cert}.new`, live.cert)
    await waitFor(async () => (await tryHandshake(port, {})).serverCn === 'rotated')
    fs.writeFileSync(live.cert, 'not a certificate')
    await new Promise((r) => setTimeout(r, 300))
    const r = await tryHandshake(port, {})
    assert.deepEqual([r.accepted, r.serverCn], [true, 'rotated'])
  })

  it('--auto-tls makes a self-signed certificate in <data-dir>/fixtures/client as etcd does, and reuses it', async () => {
    const cfg = config(pki, ['--auto-tls'])
    const sec = await clientPortSecurity(cfg, silentLogger)
    secs.push(sec)
    const dir = path.join(cfg.dataDir, 'fixtures', 'client')
    const cert = new X509Certificate(fs.readFileSync(path.join(dir, 'cert.pem')))
    assert.equal(cert.subject, 'O=etcd')
    assert.equal(cert.issuer, 'O=etcd')
    assert.equal(cert.subjectAltName, 'IP Address:127.0.0.1')
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'secp521r1')
    assert.equal(fs.statSync(path.join(dir, 'key.pem')).mode & 0o777, 0o600)
    const again = await clientPortSecurity(cfg, silentLogger)
    secs.push(again)
    assert.equal(new X509Certificate(fs.readFileSync(path.join(dir, 'cert.pem'))).serialNumber, cert.serialNumber)
  })
})

describe('TLS: peer transport settings from etcd flags', () => {
  let pki: TestPki
  before(async () => {
    pki = await makeTestPki()
  })
  after(() => fs.rmSync(pki.dir, { recursive: true, force: true }))
  const peerConfig = (extra: string[], url = 'https://127.0.0.1:2380') =>
    buildConfig(
      [
        '--data-dir',
        path.join(pki.dir, `peer-${Math.random().toString(16).slice(2)}`),
        '--listen-peer-urls',
        url,
        '--initial-advertise-peer-urls',
        url,
        ...extra,
      ],
      {},
    )

  it('maps --peer-* flags; a trusted CA means client certificates are checked', async () => {
    const opts = await peerTlsOptions(
      peerConfig([
        '--peer-cert-file',
        pki.server.cert,
        '--peer-key-file',
        pki.server.key,
        '--peer-trusted-ca-file',
        pki.ca,
      ]),
      silentLogger,
    )
    assert.deepEqual(opts, {
      certFile: pki.server.cert,
      keyFile: pki.server.key,
      trustedCAFile: pki.ca,
      clientCertAuth: true,
      minVersion: 'TLSv1.2',
    })
    assert.equal(await peerTlsOptions(peerConfig([], 'http://127.0.0.1:2380'), silentLogger), undefined)
  })

  it('--peer-auto-tls writes <data-dir>/fixtures/peer and skips verification between peers', async () => {
    const cfg = peerConfig(['--peer-auto-tls'])
    const opts = await peerTlsOptions(cfg, silentLogger)
    const dir = path.join(cfg.dataDir, 'fixtures', 'peer')
    assert.deepEqual(opts, {
      certFile: path.join(dir, 'cert.pem'),
      keyFile: path.join(dir, 'key.pem'),
      insecureSkipVerify: true,
      minVersion: 'TLSv1.2',
    })
    const cert = new X509Certificate(fs.readFileSync(opts!.certFile))
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'])
  })

  it('--tls-min-version, --tls-max-version and --cipher-suites apply to the peer port too', async () => {
    const opts = await peerTlsOptions(
      peerConfig([
        '--peer-cert-file',
        pki.server.cert,
        '--peer-key-file',
        pki.server.key,
        '--tls-max-version',
        'TLS1.2',
        '--cipher-suites',
        'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      ]),
      silentLogger,
    )
    const m = await loadTls(opts!)
    const server = serverTlsOptions(m)
    const client = clientTlsOptions(m)
    for (const o of [server, client]) {
      assert.equal(o.minVersion, 'TLSv1.2')
      assert.equal(o.maxVersion, 'TLSv1.2')
      assert.match(o.ciphers!, /^ECDHE-ECDSA-AES256-GCM-SHA384:/)
    }
  })

  it('--peer-crl-file, --peer-cert-allowed-cn and --peer-cert-allowed-hostname reach the peer transport; CN and host name exclude each other', async () => {
    const base = [
      '--peer-cert-file',
      pki.server.cert,
      '--peer-key-file',
      pki.server.key,
      '--peer-trusted-ca-file',
      pki.ca,
    ]
    const crl = path.join(pki.dir, 'peer-crl.pem')
    await writeCrl(pki.ca, pki.caKey, [pki.client.cert], crl)
    const opts = await peerTlsOptions(
      peerConfig([...base, '--peer-crl-file', crl, '--peer-cert-allowed-cn', 'm1']),
      silentLogger,
    )
    assert.equal(opts!.crlFile, crl)
    assert.equal(opts!.allowedCN, 'm1')
    assert.equal(
      (await peerTlsOptions(peerConfig([...base, '--peer-cert-allowed-hostname', 'localhost']), silentLogger))!
        .allowedHostname,
      'localhost',
    )
    await assert.rejects(
      peerTlsOptions(
        peerConfig([...base, '--peer-cert-allowed-cn', 'm1', '--peer-cert-allowed-hostname', 'localhost']),
        silentLogger,
      ),
      /AllowedCN and AllowedHostname are mutually exclusive \(cn="m1", hostname="localhost"\)/,
    )
  })

  it('an https peer URL without certificates is an error naming the flags', async () => {
    await assert.rejects(peerTlsOptions(peerConfig([]), silentLogger), {
      message:
        'TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url https://127.0.0.1:2380 with HTTPS scheme',
    })
  })
})
