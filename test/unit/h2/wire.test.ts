/**
 * The gRPC-over-HTTP/2 wire as a bare node:http2 client sees it: header blocks, framing,
 * trailers, resets, and the server's HTTP/2 settings.
 */
import assert from 'node:assert/strict'
import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2'
import {
  decodeRangeResponse,
  encodeRangeRequest,
  type RangeRequestInit,
  type RangeResponse,
} from '../../../src/gen/etcdserverpb.js'
import { frameMessage, MessageReader } from '../../../src/server/api/h2/framing.js'
import { Status } from '../../../src/server/api/h2/index.js'
import { sleep, startTestServer, type TestServer } from '../../helpers/h2-harness.js'
import { FrameType, RawH2Client } from './raw-h2.js'

interface Exchange {
  headers: IncomingHttpHeaders
  trailers: IncomingHttpHeaders | null
  messages: RangeResponse[]
}

const msg = (req: RangeRequestInit) => frameMessage(encodeRangeRequest(req))

/** Sends `body` chunks (each its own write) on a new stream and collects the response. */
function exchange(
  session: ClientHttp2Session,
  path: string,
  body: Buffer[],
  headers: Record<string, string> = {},
  opts: { end?: boolean; gapMs?: number } = {},
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    })
    const out: Exchange = { headers: {}, trailers: null, messages: [] }
    const reader = new MessageReader(
      1 << 30,
      {
        onMessage: (m) => out.messages.push(decodeRangeResponse(m)),
        onReadError: (c, d) => reject(new Error(`${c} ${d}`)),
      },
      undefined,
    )
    req.on('response', (h) => (out.headers = h))
    req.on('trailers', (t) => (out.trailers = t))
    req.on('data', (c: Buffer) => reader.push(c))
    req.on('error', reject)
    req.on('close', () => resolve(out))
    void (async () => {
      for (const chunk of body) {
        await new Promise<void>((r) => req.write(chunk, () => r()))
        if (opts.gapMs) await sleep(opts.gapMs)
      }
      if (opts.end !== false) req.end()
    })()
  })
}

/** grpc-status and grpc-message, from trailers or a trailers-only response. */
function statusOf(x: Exchange): { code: number; message: string | undefined } {
  const h = x.trailers ?? x.headers
  return { code: Number(h['grpc-status']), message: h['grpc-message'] as string | undefined }
}

describe('h2 GrpcServer on the wire', () => {
  let t: TestServer
  let session: ClientHttp2Session

  before(async () => {
    t = await startTestServer({ httpHandler: (_req, res) => res.end('plain http') })
    session = http2.connect(`http://127.0.0.1:${t.port}`)
  })
  after(async () => {
    session.close()
    await t.close()
  })

  it('a success is response headers, one message, then trailers with grpc-status 0', async () => {
    const x = await exchange(session, '/tsetcd.test.Probe/Unary', [
      msg({ key: Buffer.from('echo'), range_end: Buffer.from('abc') }),
    ])
    assert.equal(x.headers[':status'], 200)
    assert.equal(x.headers['content-type'], 'application/grpc')
    assert.equal(x.headers['grpc-status'], undefined)
    assert.equal(x.messages.length, 1)
    assert.equal(x.messages[0].kvs[0].value.toString(), 'abc')
    assert.equal(x.trailers?.['grpc-status'], '0')
  })

  it('an error before any message is one trailers-only header block, with grpc-message percent-encoded', async () => {
    const x = await exchange(session, '/tsetcd.test.Probe/Unary', [msg({ key: Buffer.from('fail:5:été 100%\n') })])
    assert.equal(x.trailers, null)
    assert.equal(x.messages.length, 0)
    assert.equal(x.headers[':status'], 200)
    assert.equal(x.headers['content-type'], 'application/grpc')
    assert.equal(x.headers['grpc-status'], '5')
    assert.equal(x.headers['grpc-message'], '%C3%A9t%C3%A9 100%25%0A')
    assert.equal(x.headers['x-why'], 'because')
  })

  it('reassembles a message sent one byte per DATA frame, and splits three messages sent in one frame', async () => {
    const one = msg({ key: Buffer.from('bytewise'), range_end: Buffer.from('x'.repeat(40)) })
    const three = Buffer.concat([
      msg({ key: Buffer.from('a') }),
      msg({ key: Buffer.from('b') }),
      msg({ key: Buffer.from('c') }),
    ])
    const chunks = [...one].map((b) => Buffer.from([b]))
    const x = await exchange(session, '/tsetcd.test.Probe/Echo', [...chunks, three])
    assert.deepEqual(
      x.messages.map((m) => m.kvs[0].key.toString()),
      ['bytewise', 'a', 'b', 'c'],
    )
    assert.equal(x.messages[0].kvs[0].value.toString(), 'x'.repeat(40))
    assert.equal(statusOf(x).code, Status.OK)
  })

  it('a client RST_STREAM on a bidi stream: the handler sees cancelled, then close', async () => {
    // node's client sends END_STREAM before RST_STREAM; Go's sends the reset alone, as here.
    const raw = await RawH2Client.connect(t.port)
    try {
      raw.grpcRequest(1, '/tsetcd.test.Probe/Echo', t.port)
      raw.data(1, msg({ key: Buffer.from('hi') }))
      await raw.waitFor((f) => f.type === FrameType.DATA && f.streamId === 1)
      raw.rst(1, http2.constants.NGHTTP2_CANCEL)
      for (let i = 0; i < 50 && !t.log.echo.events.includes('close'); i++) await sleep(10)
      assert.deepEqual(t.log.echo.events, ['data', 'cancelled', 'close'])
    } finally {
      raw.destroy()
    }
  })

  it('a client RST_STREAM on a unary call: cancelled, and the late answer goes nowhere', async () => {
    const req = session.request({
      ':method': 'POST',
      ':path': '/tsetcd.test.Probe/Unary',
      'content-type': 'application/grpc',
    })
    req.on('error', () => {})
    req.end(msg({ key: Buffer.from('sleep:200') }))
    await sleep(50)
    req.close(http2.constants.NGHTTP2_CANCEL)
    await sleep(300)
    assert.ok(t.log.cancelled.includes('sleep:200'))
    // The session is unharmed.
    const x = await exchange(session, '/tsetcd.test.Probe/Unary', [msg({ key: Buffer.from('echo') })])
    assert.equal(statusOf(x).code, Status.OK)
  })

  it('grpc-timeout sets the deadline (DEADLINE_EXCEEDED); a malformed one is INTERNAL', async () => {
    const late = await exchange(session, '/tsetcd.test.Probe/Unary', [msg({ key: Buffer.from('sleep:400') })], {
      'grpc-timeout': '50m',
    })
    assert.deepEqual(statusOf(late), { code: Status.DEADLINE_EXCEEDED, message: 'context deadline exceeded' })
    const bad = await exchange(session, '/tsetcd.test.Probe/Unary', [msg({ key: Buffer.from('echo') })], {
      'grpc-timeout': 'soon',
    })
    assert.deepEqual(statusOf(bad), { code: Status.INTERNAL, message: 'grpc: malformed grpc-timeout: soon' })
  })

  it('compressed messages are refused: UNIMPLEMENTED for an encoding without a decompressor', async () => {
    const m = msg({ key: Buffer.from('echo') })
    m[0] = 1
    const x = await exchange(session, '/tsetcd.test.Probe/Unary', [m], { 'grpc-encoding': 'gzip' })
    assert.deepEqual(statusOf(x), {
      code: Status.UNIMPLEMENTED,
      message: 'grpc: Decompressor is not installed for grpc-encoding "gzip"',
    })
  })

  it('unary protocol errors: no message, a second message, a stream ending mid-message', async () => {
    const none = await exchange(session, '/tsetcd.test.Probe/Unary', [])
    assert.deepEqual(statusOf(none), {
      code: Status.UNIMPLEMENTED,
      message: 'Received no request message for unary method /tsetcd.test.Probe/Unary',
    })
    const two = await exchange(session, '/tsetcd.test.Probe/Unary', [
      Buffer.concat([msg({ key: Buffer.from('sleep:100') }), msg({ key: Buffer.from('echo') })]),
    ])
    assert.deepEqual(statusOf(two), {
      code: Status.UNIMPLEMENTED,
      message: 'Received a second request message for unary method /tsetcd.test.Probe/Unary',
    })
    const cut = msg({ key: Buffer.from('echo') })
    const half = await exchange(session, '/tsetcd.test.Probe/Unary', [cut.subarray(0, 3)])
    assert.equal(statusOf(half).code, Status.INTERNAL)
  })

  it('unknown method: UNIMPLEMENTED as a trailers-only response', async () => {
    const x = await exchange(session, '/no.Such/Method', [msg({})])
    assert.equal(x.trailers, null)
    assert.deepEqual(statusOf(x), {
      code: Status.UNIMPLEMENTED,
      message: 'The server does not implement the method /no.Such/Method',
    })
  })

  it('gRPC content type with a method other than POST is 405; plain HTTP goes to the HTTP handler on a connection that starts with it, and is 404 on a gRPC one', async () => {
    const get = await new Promise<IncomingHttpHeaders>((resolve) => {
      const r = session.request({
        ':method': 'GET',
        ':path': '/tsetcd.test.Probe/Unary',
        'content-type': 'application/grpc',
      })
      r.on('response', resolve)
      r.resume()
    })
    assert.equal(get[':status'], 405)
    const plainGet = (s: ClientHttp2Session): Promise<{ status: unknown; body: string }> =>
      new Promise((resolve) => {
        const r = s.request({ ':method': 'GET', ':path': '/health' })
        let status: unknown
        let body = ''
        r.on('response', (h) => (status = h[':status']))
        r.on('data', (d) => (body += d))
        r.on('end', () => resolve({ status, body }))
      })
    assert.deepEqual(await plainGet(session), { status: 404, body: '' })
    const fresh = http2.connect(`http://127.0.0.1:${t.port}`)
    try {
      assert.deepEqual(await plainGet(fresh), { status: 200, body: 'plain http' })
      // A gRPC request on a connection node's HTTP/2 serves is refused with a reason.
      const x = await exchange(fresh, '/tsetcd.test.Probe/Unary', [msg({ key: Buffer.from('echo') })])
      assert.deepEqual(statusOf(x), {
        code: Status.UNIMPLEMENTED,
        message: 'gRPC is served on connections whose first request is gRPC',
      })
    } finally {
      fresh.close()
    }
  })

  it('advertises large windows and unlimited concurrent streams', async () => {
    const s = http2.connect(`http://127.0.0.1:${t.port}`)
    try {
      const settings = await new Promise<http2.Settings>((resolve) => s.once('remoteSettings', resolve))
      assert.equal(settings.initialWindowSize, 1 << 20)
      assert.equal(settings.maxConcurrentStreams, 2 ** 32 - 1)
      await exchange(s, '/tsetcd.test.Probe/Unary', [msg({ key: Buffer.from('echo') })])
      assert.ok(s.state.remoteWindowSize! > 8 << 20, `connection window ${s.state.remoteWindowSize}`)
    } finally {
      s.close()
    }
  })
})
