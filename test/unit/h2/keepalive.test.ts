import assert from 'node:assert/strict'
import http2 from 'node:http2'
import { encodeRangeRequest } from '../../../src/gen/etcdserverpb.js'
import { frameMessage } from '../../../src/server/api/h2/framing.js'
import { sleep, startTestServer, type TestServer } from '../../helpers/h2-harness.js'
import { FrameType, RawH2Client } from './raw-h2.js'

function ping(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())))
}

function unary(session: http2.ClientHttp2Session): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': '/tsetcd.test.Probe/Unary',
      'content-type': 'application/grpc',
    })
    let status: string | undefined
    req.on('trailers', (t) => (status = t['grpc-status'] as string))
    req.on('error', reject)
    req.on('close', () => resolve(status))
    req.resume()
    req.end(frameMessage(encodeRangeRequest({ key: Buffer.from('echo') })))
  })
}

describe('h2 GrpcServer keepalive', function () {
  this.timeout(20_000)
  let t: TestServer
  afterEach(async () => {
    await t?.close()
  })

  it('pings each connection every keepaliveIntervalMs', async () => {
    t = await startTestServer({ keepaliveIntervalMs: 100, keepaliveTimeoutMs: 1000 })
    const session = http2.connect(`http://127.0.0.1:${t.port}`)
    let pings = 0
    session.on('ping', () => pings++)
    await sleep(650)
    session.close()
    assert.ok(pings >= 3 && pings <= 7, `${pings} pings in 650 ms`)
  })

  it('drops a connection whose client does not ack within keepaliveTimeoutMs, keeps one that does', async () => {
    t = await startTestServer({ keepaliveIntervalMs: 100, keepaliveTimeoutMs: 200 })
    const silent = await RawH2Client.connect(t.port, { ackPings: false })
    const polite = await RawH2Client.connect(t.port, { ackPings: true })
    try {
      const started = Date.now()
      await silent.waitFor((f) => f.type === FrameType.PING && f.flags === 0)
      await Promise.race([silent.closed, sleep(2000).then(() => assert.fail('the silent connection is still open'))])
      const after = Date.now() - started
      assert.ok(after >= 250 && after < 1500, `closed after ${after} ms`)
      await sleep(300)
      assert.equal(t.server.connectionCount, 1, 'the connection that acks stays')
      assert.ok(polite.frames.filter((f) => f.type === FrameType.PING && f.flags === 0).length >= 4)
    } finally {
      silent.destroy()
      polite.destroy()
    }
  })

  it('answers a client that pings too often with nothing going on with GOAWAY ENHANCE_YOUR_CALM too_many_pings', async () => {
    t = await startTestServer({ keepaliveMinTimeMs: 1000 })
    const session = http2.connect(`http://127.0.0.1:${t.port}`)
    session.on('error', () => {})
    const goaway = new Promise<[number, Buffer | undefined]>((resolve) =>
      session.on('goaway', (code, _last, data) => resolve([code, data])),
    )
    await new Promise((resolve) => session.once('connect', resolve))
    for (let i = 0; i < 5 && !session.closed; i++) await ping(session).catch(() => {})
    const [code, data] = await goaway
    assert.equal(code, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM)
    assert.equal(data?.toString(), 'too_many_pings')
    session.destroy()
  })

  it('tolerates frequent pings while calls are going on (Go clients ping to size windows)', async () => {
    t = await startTestServer({ keepaliveMinTimeMs: 1000 })
    const session = http2.connect(`http://127.0.0.1:${t.port}`)
    await new Promise((resolve) => session.once('connect', resolve))
    let goaway = false
    session.on('goaway', () => (goaway = true))
    for (let i = 0; i < 20; i++) {
      assert.equal(await unary(session), '0')
      await ping(session)
    }
    assert.equal(goaway, false)
    assert.equal(session.closed, false)
    session.close()
  })

  it('tolerates pings while one large answer streams out (a Go client sizing its window, as `etcdctl get --prefix` on many keys)', async () => {
    t = await startTestServer({ keepaliveMinTimeMs: 1000 })
    // A small window: the answer leaves in many DATA frames, each after the client's WINDOW_UPDATE.
    const session = http2.connect(`http://127.0.0.1:${t.port}`, { settings: { initialWindowSize: 16384 } })
    session.on('error', () => {})
    await new Promise((resolve) => session.once('connect', resolve))
    let goaway = false
    session.on('goaway', () => (goaway = true))
    const size = 4 << 20
    const req = session.request({
      ':method': 'POST',
      ':path': '/tsetcd.test.Probe/Unary',
      'content-type': 'application/grpc',
    })
    let received = 0
    let pings = 0
    let pinging = false
    // As grpc-go's BDP estimator: a ping when data arrives, one at a time.
    req.on('data', (chunk: Buffer) => {
      received += chunk.length
      if (pinging || session.closed) return
      pinging = true
      pings++
      session.ping(() => (pinging = false))
    })
    const status = await new Promise<string | undefined>((resolve, reject) => {
      let s: string | undefined
      req.on('trailers', (h) => (s = h['grpc-status'] as string))
      req.on('error', reject)
      req.on('close', () => resolve(s))
      req.end(frameMessage(encodeRangeRequest({ key: Buffer.from(`big:${size}`) })))
    })
    assert.equal(goaway, false, `GOAWAY after ${received} bytes and ${pings} pings`)
    assert.equal(status, '0')
    assert.ok(received > size, `${received} bytes received`)
    assert.ok(pings > 3, `${pings} pings`)
    session.close()
  })
})
