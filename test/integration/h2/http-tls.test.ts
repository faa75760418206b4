/**
 * Plain HTTP on the gRPC port (HTTP/1.1 and HTTP/2, cleartext and TLS), and gRPC over TLS:
 * grpc-js, etcdctl, certificate rotation and client certificates.
 */
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import http2 from 'node:http2'
import https from 'node:https'
import tls from 'node:tls'
import * as grpc from '@grpc/grpc-js'
import { KVService, type RangeResponse } from '../../../src/gen/etcdserverpb.js'
import { GrpcServer, type HttpHandler } from '../../../src/server/api/h2/index.js'
import {
  call,
  ETCDCTL,
  failure,
  grpcJsClient,
  haveBinary,
  run,
  soloCert,
  startTestServer,
  tmpDir,
  which,
  type CertFiles,
  type TestServer,
} from '../../helpers/h2-harness.js'

/** etcd's /health and /version answers. */
const etcdHttp: HttpHandler = (req, res) => {
  const body =
    req.url === '/health'
      ? { health: 'true', reason: '' }
      : req.url === '/version'
        ? { etcdserver: '3.5.0', etcdcluster: '3.5.0' }
        : null
  if (body === null) {
    res.statusCode = 404
    res.end('not here\n')
    return
  }
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify(body))
}

function get(
  url: string,
  opts: https.RequestOptions = {},
): Promise<{ status: number; body: string; socketPort: number; alpn?: string | false }> {
  const mod = url.startsWith('https:') ? https : http
  return new Promise((resolve, reject) => {
    const req = mod.get(url, opts, (res) => {
      let body = ''
      const socketPort = res.socket.localPort!
      const alpn = (res.socket as tls.TLSSocket).alpnProtocol ?? undefined
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, body, socketPort, alpn }))
    })
    req.on('error', reject)
  })
}

function h2Get(
  url: string,
  path: string,
  opts: http2.SecureClientSessionOptions = {},
): Promise<{ status: number; body: string }> {
  const session = http2.connect(url, opts)
  return new Promise((resolve, reject) => {
    session.on('error', reject)
    const req = session.request({ ':path': path })
    let status = 0
    let body = ''
    req.on('response', (h) => (status = Number(h[':status'])))
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      session.close()
      resolve({ status, body })
    })
  })
}

const CURL = which('curl')
/** The certificates name 127.0.0.1 and localhost; TLS SNI takes only a name. */
const NAME_LOCALHOST = { 'grpc.ssl_target_name_override': 'localhost' }

describe('h2 GrpcServer: plain HTTP on the gRPC port', function () {
  let t: TestServer
  before(async () => {
    t = await startTestServer({ httpHandler: etcdHttp })
  })
  after(() => t.close())

  it('HTTP/1.1 GET /health and /version, two requests on one kept-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const health = await get(`http://127.0.0.1:${t.port}/health`, { agent })
      const version = await get(`http://127.0.0.1:${t.port}/version`, { agent })
      assert.deepEqual([health.status, JSON.parse(health.body)], [200, { health: 'true', reason: '' }])
      assert.deepEqual([version.status, JSON.parse(version.body)], [200, { etcdserver: '3.5.0', etcdcluster: '3.5.0' }])
      assert.equal(health.socketPort, version.socketPort)
    } finally {
      agent.destroy()
    }
  })

  it('HTTP/2 GET without a gRPC content type reaches the same handler', async () => {
    const r = await h2Get(`http://127.0.0.1:${t.port}`, '/health')
    assert.deepEqual([r.status, JSON.parse(r.body)], [200, { health: 'true', reason: '' }])
  })

  it('curl, HTTP/1.1 and HTTP/2 prior knowledge', async function () {
    if (!CURL) {
      console.log('      skipped: curl not installed')
      this.skip()
    }
    const h1 = await run(CURL!, ['-sS', `http://127.0.0.1:${t.port}/health`])
    assert.equal(h1.stdout, '{"health":"true","reason":""}')
    const h2 = await run(CURL!, ['-sS', '--http2-prior-knowledge', `http://127.0.0.1:${t.port}/version`])
    assert.equal(h2.stdout, '{"etcdserver":"3.5.0","etcdcluster":"3.5.0"}')
  })

  it('without an HTTP handler: 404 page not found', async () => {
    const bare = new GrpcServer()
    const port = await bare.listen('http://127.0.0.1:0')
    try {
      const r = await get(`http://127.0.0.1:${port}/health`)
      assert.deepEqual([r.status, r.body], [404, '404 page not found\n'])
    } finally {
      await bare.tryShutdown(1000)
    }
  })

  it('gRPC keeps working on the port meanwhile', async () => {
    const kv = grpcJsClient(KVService, 'KV', t.port)
    try {
      await call(kv, 'Put', { key: Buffer.from('k'), value: Buffer.from('v') })
      assert.equal((await call<RangeResponse>(kv, 'Range', { key: Buffer.from('k') })).count, 1)
    } finally {
      kv.close()
    }
  })
})

describe('h2 GrpcServer over TLS', function () {
  this.timeout(60_000)
  let t: TestServer
  let dir: string
  let a: CertFiles
  let b: CertFiles
  let clientCert: CertFiles

  before(async function () {
    dir = tmpDir('tsetcd-h2-tls-')
    ;[a, b, clientCert] = await Promise.all([
      soloCert(dir, 'a', 'server-a'),
      soloCert(dir, 'b', 'server-b'),
      soloCert(dir, 'client', 'client'),
    ])
    t = await startTestServer({
      httpHandler: etcdHttp,
      url: 'https://127.0.0.1:0',
      listen: { tls: { cert: a.certPem, key: a.keyPem } },
    })
  })
  after(async () => {
    await t?.close()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  const peerFingerprint = (ca: Buffer) =>
    new Promise<string>((resolve, reject) => {
      const s = tls.connect(
        { port: t.port, host: '127.0.0.1', servername: 'localhost', ca, ALPNProtocols: ['h2'] },
        () => {
          resolve(s.getPeerX509Certificate()!.fingerprint256)
          s.destroy()
        },
      )
      s.on('error', reject)
    })

  it('grpc-js over TLS (ALPN h2): Put then Range', async () => {
    const kv = grpcJsClient(KVService, 'KV', t.port, grpc.credentials.createSsl(a.caPem), NAME_LOCALHOST)
    try {
      await call(kv, 'Put', { key: Buffer.from('secure'), value: Buffer.from('yes') })
      const r = await call<RangeResponse>(kv, 'Range', { key: Buffer.from('secure') })
      assert.equal(r.kvs[0].value.toString(), 'yes')
    } finally {
      kv.close()
    }
  })

  it('etcdctl over TLS with --cacert', async function () {
    if (!haveBinary(ETCDCTL)) {
      console.log(`      skipped: ${ETCDCTL} missing (apt-get install etcd-client)`)
      this.skip()
    }
    const args = [`--endpoints=https://127.0.0.1:${t.port}`, `--cacert=${a.ca}`]
    const put = await run(ETCDCTL, [...args, 'put', 'tls-key', 'tls-value'])
    assert.equal(put.stdout, 'OK\n', put.stderr)
    const got = await run(ETCDCTL, [...args, 'get', 'tls-key'])
    assert.equal(got.stdout, 'tls-key\ntls-value\n')
  })

  it('HTTP/1.1 (ALPN http/1.1), HTTP/2 (ALPN h2) and HTTP/1.1 without ALPN on the TLS port', async () => {
    const h1 = await get(`https://127.0.0.1:${t.port}/health`, {
      ca: a.caPem,
      ALPNProtocols: ['http/1.1'],
    } as https.RequestOptions)
    assert.deepEqual([h1.status, h1.alpn, JSON.parse(h1.body)], [200, 'http/1.1', { health: 'true', reason: '' }])
    const h2 = await h2Get(`https://127.0.0.1:${t.port}`, '/version', { ca: a.caPem })
    assert.deepEqual([h2.status, JSON.parse(h2.body)], [200, { etcdserver: '3.5.0', etcdcluster: '3.5.0' }])
    const noAlpn = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ port: t.port, host: '127.0.0.1', servername: 'localhost', ca: a.caPem }, () =>
        s.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      )
      let out = ''
      s.on('data', (d) => (out += d))
      s.on('end', () => resolve(out))
      s.on('error', reject)
    })
    assert.match(noAlpn, /^HTTP\/1\.1 200 OK\r\n/)
    assert.ok(noAlpn.endsWith('{"health":"true","reason":""}'))
  })

  it('curl over TLS (it negotiates HTTP/2)', async function () {
    if (!CURL) {
      console.log('      skipped: curl not installed')
      this.skip()
    }
    const r = await run(CURL!, [
      '-sS',
      '--cacert',
      a.ca,
      '-w',
      ' %{http_version}',
      `https://127.0.0.1:${t.port}/health`,
    ])
    assert.equal(r.stdout, '{"health":"true","reason":""} 2')
  })

  it('setSecureContext rotates the certificate for new connections, without a restart', async () => {
    const fpA = new X509Certificate(a.certPem).fingerprint256
    const fpB = new X509Certificate(b.certPem).fingerprint256
    assert.equal(await peerFingerprint(a.caPem), fpA)
    t.server.setSecureContext({ cert: b.certPem, key: b.keyPem })
    try {
      assert.equal(await peerFingerprint(b.caPem), fpB)
      const kv = grpcJsClient(KVService, 'KV', t.port, grpc.credentials.createSsl(b.caPem), NAME_LOCALHOST)
      try {
        assert.equal((await call<RangeResponse>(kv, 'Range', { key: Buffer.from('secure') })).count, 1)
      } finally {
        kv.close()
      }
    } finally {
      t.server.setSecureContext({ cert: a.certPem, key: a.keyPem })
    }
  })

  it('client certificates: required and checked when requestCert and rejectUnauthorized are set', async () => {
    const server = new GrpcServer()
    server.addService(KVService, {
      Range: (_call: unknown, cb: (e: null, r: object) => void) => cb(null, { count: 42 }),
    })
    const port = await server.listen('https://127.0.0.1:0', {
      tls: { cert: a.certPem, key: a.keyPem, ca: clientCert.caPem, requestCert: true, rejectUnauthorized: true },
    })
    const anonymous = grpcJsClient(KVService, 'KV', port, grpc.credentials.createSsl(a.caPem), NAME_LOCALHOST)
    const known = grpcJsClient(
      KVService,
      'KV',
      port,
      grpc.credentials.createSsl(a.caPem, clientCert.keyPem, clientCert.certPem),
      NAME_LOCALHOST,
    )
    try {
      const refused = await failure(
        call(anonymous, 'Range', { key: Buffer.from('x') }, { deadline: Date.now() + 3000 }),
      )
      assert.ok(
        [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED].includes(refused.code),
        `${refused.code} ${refused.details}`,
      )
      assert.equal((await call<RangeResponse>(known, 'Range', { key: Buffer.from('x') })).count, 42)
    } finally {
      anonymous.close()
      known.close()
      await server.tryShutdown(1000)
    }
  })
})
