/**
 * tsetcd's own HTTP/2 (src/server/api/h2/connection.ts) frame by frame: flow control both
 * ways, stream and connection errors, refused streams and the end of a response whose client
 * is still sending.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { decodeRangeResponse, encodeRangeRequest } from '../../../src/gen/etcdserverpb.js'
import { frameMessage } from '../../../src/server/api/h2/framing.js'
import { H2Connection } from '../../../src/server/api/h2/connection.js'
import { FrameSplitter, HeaderBlockAssembler } from '../../../src/server/api/h2/h2-frames.js'
import { HpackDecoder } from '../../../src/server/api/h2/hpack.js'
import { startTestServer, type TestServer } from '../../helpers/h2-harness.js'
import { Flag, FrameType, RawH2Client, type Frame } from './raw-h2.js'

const UNARY = '/tsetcd.test.Probe/Unary'
const ECHO = frameMessage(encodeRangeRequest({ key: Buffer.from('echo') }))

const H2 = { NO_ERROR: 0, PROTOCOL_ERROR: 1, FLOW_CONTROL_ERROR: 3, FRAME_SIZE_ERROR: 6, REFUSED_STREAM: 7 }

function settings(...pairs: [number, number][]): Buffer {
  const b = Buffer.alloc(6 * pairs.length)
  pairs.forEach(([id, v], i) => {
    b.writeUInt16BE(id, 6 * i)
    b.writeUInt32BE(v, 6 * i + 2)
  })
  return b
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

function headerFields(f: Frame): Record<string, string> {
  return Object.fromEntries(new HpackDecoder().decode(f.payload).fields.map((x) => [x.name, x.value]))
}

/** DATA chunks of one large message (3 MiB declared, under the 4 MiB limit), `n` bytes in all. */
function largeMessage(n: number): Buffer[] {
  const out: Buffer[] = []
  for (let sent = 0; sent < n; sent += 16_000) out.push(Buffer.alloc(16_000))
  out[0]!.writeUInt32BE(3 << 20, 1)
  return out
}

const on = (id: number, type: number) => (f: Frame) => f.streamId === id && f.type === type
const goaway = (f: Frame) => f.type === FrameType.GOAWAY

describe('h2 connection (tsetcd HTTP/2)', function () {
  this.timeout(20_000)
  let t: TestServer
  let c: RawH2Client
  beforeEach(async () => {
    t = await startTestServer({ connectionWindowSize: 100_000 })
    c = await RawH2Client.connect(t.port)
  })
  afterEach(async () => {
    c.destroy()
    await t.close()
  })

  it('messages written with room for their framing leave whole or in window-sized pieces, in order', async () => {
    const COUNT = '/tsetcd.test.Probe/Count'
    const counts = async (streamId: number): Promise<number[]> => {
      const trailers = (f: Frame) => on(streamId, FrameType.HEADERS)(f) && (f.flags & Flag.END_STREAM) !== 0
      await c.waitFor(trailers)
      const body = Buffer.concat(c.frames.filter(on(streamId, FrameType.DATA)).map((f) => f.payload))
      const out: number[] = []
      for (let at = 0; at < body.length;) {
        const n = body.readUInt32BE(at + 1)
        out.push(decodeRangeResponse(body.subarray(at + 5, at + 5 + n)).count)
        at += 5 + n
      }
      return out
    }
    const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)
    // Open windows: each message that has room leaves as its own DATA frame, built in place.
    c.grpcRequest(1, COUNT, t.port)
    c.data(1, frameMessage(encodeRangeRequest({ key: Buffer.from('40'), limit: 1 })), true)
    assert.deepEqual(await counts(1), upTo(40))
    // A stream window of 7 bytes: every message leaves in pieces, copied out of its buffer.
    c.send(FrameType.SETTINGS, 0, 0, settings([4, 7]))
    c.grpcRequest(3, COUNT, t.port)
    c.data(3, frameMessage(encodeRangeRequest({ key: Buffer.from('40'), limit: 1 })), true)
    await c.waitFor(on(3, FrameType.DATA))
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 2))
      c.send(FrameType.WINDOW_UPDATE, 0, 3, u32(3 + (i % 5)))
    }
    c.send(FrameType.WINDOW_UPDATE, 0, 3, u32(100_000))
    assert.deepEqual(await counts(3), upTo(40))
    assert.ok(c.frames.filter(on(3, FrameType.DATA)).every((f) => f.payload.length <= 7 || f.payload.length > 1000))
  })

  it("sends no more DATA than the client's stream window, and the trailers only after the last byte", async () => {
    c.send(FrameType.SETTINGS, 0, 0, settings([4, 7])) // SETTINGS_INITIAL_WINDOW_SIZE
    c.grpcRequest(1, UNARY, t.port)
    c.data(1, ECHO, true)
    const headers = await c.waitFor(on(1, FrameType.HEADERS))
    assert.equal(headerFields(headers)[':status'], '200')
    await c.waitFor(on(1, FrameType.DATA))
    await new Promise((r) => setTimeout(r, 100))
    const sent = () => c.frames.filter(on(1, FrameType.DATA)).reduce((n, f) => n + f.payload.length, 0)
    assert.equal(sent(), 7)
    assert.equal(c.frames.filter(on(1, FrameType.HEADERS)).length, 1, 'no trailers while data waits')
    c.send(FrameType.WINDOW_UPDATE, 0, 1, u32(5))
    await new Promise((r) => setTimeout(r, 50))
    assert.equal(sent(), 12)
    c.send(FrameType.WINDOW_UPDATE, 0, 1, u32(100_000))
    const trailers = await c.waitFor((f) => on(1, FrameType.HEADERS)(f) && f !== headers)
    assert.equal(trailers.flags & Flag.END_STREAM, Flag.END_STREAM)
    assert.equal(headerFields(trailers)['grpc-status'], '0')
    assert.ok(sent() > 12)
  })

  it('a window lowered by SETTINGS below what was sent holds DATA until it is positive again', async () => {
    c.send(FrameType.SETTINGS, 0, 0, settings([4, 10]))
    c.grpcRequest(1, UNARY, t.port)
    c.data(1, ECHO, true)
    await c.waitFor(on(1, FrameType.DATA))
    c.send(FrameType.SETTINGS, 0, 0, settings([4, 0])) // the stream's window is now -10
    c.send(FrameType.WINDOW_UPDATE, 0, 1, u32(10))
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(c.frames.filter(on(1, FrameType.DATA)).length, 1, 'still nothing left to send on')
    c.send(FrameType.WINDOW_UPDATE, 0, 1, u32(100_000))
    await c.waitFor((f) => on(1, FrameType.HEADERS)(f) && (f.flags & Flag.END_STREAM) !== 0)
  })

  it('gives the client its windows back as DATA arrives: the connection at half of its window, a stream at half of its', async () => {
    c.grpcRequest(1, '/tsetcd.test.Probe/Echo', t.port)
    // The server's windows: 100,000 for the connection (its first WINDOW_UPDATE sets that),
    // 1 MiB for each stream.
    for (const chunk of largeMessage(600_000)) c.data(1, chunk)
    const streamUpdate = await c.waitFor(on(1, FrameType.WINDOW_UPDATE))
    assert.ok(streamUpdate.payload.readUInt32BE(0) >= 1 << 19)
    const updates = c.frames.filter(on(0, FrameType.WINDOW_UPDATE)).map((f) => f.payload.readUInt32BE(0))
    assert.equal(updates[0], 100_000 - 65_535)
    assert.ok(updates.length >= 10, `${updates.length} connection updates`)
    for (const u of updates.slice(1)) assert.ok(u >= 50_000)
  })

  it('a response that ends while the client is still sending is followed by RST_STREAM NO_ERROR', async () => {
    c.grpcRequest(1, UNARY, t.port)
    c.data(1, ECHO, false)
    const rst = await c.waitFor(on(1, FrameType.RST_STREAM))
    assert.equal(rst.payload.readUInt32BE(0), H2.NO_ERROR)
    const i = c.frames.indexOf(rst)
    const trailers = c.frames.slice(0, i).filter(on(1, FrameType.HEADERS)).at(-1)!
    assert.equal(trailers.flags & Flag.END_STREAM, Flag.END_STREAM)
    // Its late DATA is ignored; the connection goes on.
    c.data(1, Buffer.alloc(10), true)
    c.grpcRequest(3, UNARY, t.port)
    c.data(3, ECHO, true)
    await c.waitFor((f) => on(3, FrameType.HEADERS)(f) && (f.flags & Flag.END_STREAM) !== 0)
    assert.equal(c.frames.filter(goaway).length, 0)
  })

  it('refuses a stream past maxConcurrentStreams with REFUSED_STREAM', async () => {
    await t.close()
    c.destroy()
    t = await startTestServer({ maxConcurrentStreams: 1 })
    c = await RawH2Client.connect(t.port)
    c.grpcRequest(1, '/tsetcd.test.Probe/Echo', t.port)
    c.grpcRequest(3, UNARY, t.port)
    const rst = await c.waitFor(on(3, FrameType.RST_STREAM))
    assert.equal(rst.payload.readUInt32BE(0), H2.REFUSED_STREAM)
    c.rst(1, 8)
    c.grpcRequest(5, UNARY, t.port)
    c.data(5, ECHO, true)
    await c.waitFor((f) => on(5, FrameType.HEADERS)(f) && (f.flags & Flag.END_STREAM) !== 0)
  })

  const connectionErrors: [string, (c: RawH2Client, port: number) => void, number][] = [
    ['HEADERS on an even stream', (c, port) => c.grpcRequest(2, UNARY, port), H2.PROTOCOL_ERROR],
    [
      'a stream ID lower than one already used',
      (c, port) => {
        c.grpcRequest(5, UNARY, port)
        c.grpcRequest(3, UNARY, port)
      },
      H2.PROTOCOL_ERROR,
    ],
    ['DATA on a stream never opened', (c) => c.data(9, ECHO), H2.PROTOCOL_ERROR],
    ['a WINDOW_UPDATE of 0 on the connection', (c) => c.send(FrameType.WINDOW_UPDATE, 0, 0, u32(0)), H2.PROTOCOL_ERROR],
    [
      'a connection window past 2^31-1',
      (c) => c.send(FrameType.WINDOW_UPDATE, 0, 0, u32(2 ** 31 - 1)),
      H2.FLOW_CONTROL_ERROR,
    ],
    ['a PING of 7 bytes', (c) => c.send(FrameType.PING, 0, 0, Buffer.alloc(7)), H2.FRAME_SIZE_ERROR],
    ['SETTINGS of 5 bytes', (c) => c.send(FrameType.SETTINGS, 0, 0, Buffer.alloc(5)), H2.FRAME_SIZE_ERROR],
    ['a frame larger than 16384 bytes', (c) => c.data(1, Buffer.alloc(20_000)), H2.FRAME_SIZE_ERROR],
    [
      'SETTINGS_MAX_FRAME_SIZE below 16384',
      (c) => c.send(FrameType.SETTINGS, 0, 0, settings([5, 100])),
      H2.PROTOCOL_ERROR,
    ],
  ]
  for (const [what, act, code] of connectionErrors) {
    it(`${what}: GOAWAY ${code}, and the connection closes`, async () => {
      // A first request hands the connection to tsetcd's HTTP/2.
      c.grpcRequest(1, UNARY, t.port)
      c.data(1, ECHO, true)
      await c.waitFor((f) => on(1, FrameType.HEADERS)(f) && (f.flags & Flag.END_STREAM) !== 0)
      act(c, t.port)
      const g = await c.waitFor(goaway)
      assert.equal(g.payload.readUInt32BE(4), code)
      await c.closed
    })
  }

  it('a client that resets streams faster than 1000 at once and 33 a second is sent GOAWAY ENHANCE_YOUR_CALM', async () => {
    for (let i = 0; i < 1100; i++) {
      const id = 2 * i + 1
      c.grpcRequest(id, '/tsetcd.test.Probe/Echo', t.port)
      c.rst(id, 8)
    }
    const g = await c.waitFor(goaway)
    assert.equal(g.payload.readUInt32BE(4), 11)
    assert.equal(g.payload.subarray(8).toString(), 'too_many_resets')
    assert.ok(g.payload.readUInt32BE(0) > 2000, 'the streams before were served')
    await c.closed
  })

  it('answers PING with the same payload, and reads padded DATA', async () => {
    c.grpcRequest(1, UNARY, t.port)
    const padded = Buffer.concat([Buffer.from([3]), ECHO, Buffer.alloc(3)])
    c.send(FrameType.DATA, Flag.END_STREAM | 0x8, 1, padded)
    const trailers = await c.waitFor((f) => on(1, FrameType.HEADERS)(f) && (f.flags & Flag.END_STREAM) !== 0)
    assert.equal(headerFields(trailers)['grpc-status'], '0')
    c.ping(Buffer.from('abcdefgh'))
    const ack = await c.waitFor((f) => f.type === FrameType.PING && f.flags === Flag.ACK)
    assert.equal(ack.payload.toString(), 'abcdefgh')
  })

  it('answers PINGs held on several connections at once, each with its own payload', async () => {
    const others = await Promise.all([RawH2Client.connect(t.port), RawH2Client.connect(t.port)])
    try {
      const all = [c, ...others]
      // A request first, so that each connection is served (past the gate), then only pings.
      all.forEach((x) => x.grpcRequest(1, UNARY, t.port))
      all.forEach((x) => x.data(1, ECHO, true))
      await Promise.all(
        all.map((x) => x.waitFor((f) => on(1, FrameType.HEADERS)(f) && (f.flags & Flag.END_STREAM) !== 0)),
      )
      for (let round = 0; round < 3; round++) {
        all.forEach((x, i) => x.ping(Buffer.from(`ping${round}-${i}`.padEnd(8, '.'))))
        const acks = await Promise.all(
          all.map((x, i) =>
            x.waitFor(
              (f) =>
                f.type === FrameType.PING &&
                f.flags === Flag.ACK &&
                f.payload.toString().startsWith(`ping${round}-${i}`),
            ),
          ),
        )
        assert.equal(acks.length, 3)
      }
    } finally {
      for (const o of others) o.destroy()
    }
  })

  describe("a PING's ACK", () => {
    let server: net.Server
    let client: net.Socket
    let conn: H2Connection
    /** What the server wrote, one entry per socket write. */
    let writes: Buffer[]
    const PING = Buffer.concat([Buffer.from([0, 0, 8, FrameType.PING, 0, 0, 0, 0, 0]), Buffer.from('12345678')])

    beforeEach(async () => {
      writes = []
      const accepted = new Promise<net.Socket>((resolve) => {
        server = net.createServer(resolve).listen(0, '127.0.0.1')
      })
      await new Promise((r) => server.once('listening', r))
      client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
      const socket = await accepted
      const write = socket.write.bind(socket) as (b: Buffer) => boolean
      socket.write = ((b: Buffer) => {
        writes.push(Buffer.from(b))
        return write(b)
      }) as typeof socket.write
      conn = new H2Connection(
        socket,
        { initialWindowSize: 1 << 20, connectionWindowSize: 1 << 20, maxConcurrentStreams: 100 },
        () => assert.fail('no stream'),
        () => undefined,
        { splitter: new FrameSplitter(), assembler: new HeaderBlockAssembler(), decoder: new HpackDecoder() },
      )
      conn.start([], null, [])
    })
    afterEach(async () => {
      client.destroy()
      conn.destroy()
      await new Promise((r) => server.close(r))
    })

    /** The PING frames of each write that has any, as [type, flags] (the WINDOW_UPDATE sent at the start is left out). */
    const pings = () =>
      writes
        .map((b) =>
          new FrameSplitter()
            .push(b)
            .filter((f) => f.type === FrameType.PING)
            .map((f) => [f.type, f.flags]),
        )
        .filter((w) => w.length > 0)

    it('leaves with output made in a later turn, in the same write', async () => {
      // The server's own PING, made a turn after the client's arrived, is such output.
      conn.onPeerPing = () => setImmediate(() => conn.ping(() => undefined))
      client.write(PING)
      await new Promise((r) => setTimeout(r, 100))
      assert.deepEqual(pings(), [
        [
          [FrameType.PING, Flag.ACK],
          [FrameType.PING, 0],
        ],
      ])
      assert.ok(writes.at(-1)!.includes('12345678'), 'the ACK carries the PING payload')
    })

    it('leaves on its own when no other output comes', async () => {
      client.write(PING)
      await new Promise((r) => setTimeout(r, 100))
      assert.deepEqual(pings(), [[[FrameType.PING, Flag.ACK]]])
    })

    it('is dropped when the connection closes first', async () => {
      conn.onPeerPing = () => conn.destroy()
      client.write(PING)
      await new Promise((r) => setTimeout(r, 100))
      assert.deepEqual(pings(), [])
    })
  })

  it('a connection whose client left while at the gate is closed as it is handed over (the server forgets it)', () => {
    const socket = new net.Socket()
    socket.destroy()
    let closed = 0
    const conn = new H2Connection(
      socket,
      { initialWindowSize: 1 << 20, connectionWindowSize: 1 << 20, maxConcurrentStreams: 100 },
      () => assert.fail('no stream'),
      () => closed++,
      { splitter: new FrameSplitter(), assembler: new HeaderBlockAssembler(), decoder: new HpackDecoder() },
    )
    conn.start([], null, [])
    assert.equal(closed, 1)
    assert.equal(conn.isClosed, true)
  })
})
