/**
 * Clients whose :authority node's HTTP/2 refuses (etcd's Go clients send "http://host:port"
 * or "#initially=[...]"): the frame rewriter on its own, then GrpcServer with node and
 * grpc-js clients that send such authorities, in cleartext and over TLS.
 */
import assert from 'node:assert/strict'
import http2 from 'node:http2'
import net from 'node:net'
import * as grpc from '@grpc/grpc-js'
import { sanitizeAuthority, validAuthority } from '../../../src/server/api/h2/authority.js'
import { ClientRewriter } from '../../../src/server/api/h2/authority-gate.js'
import { encodeHeaderBlock, HpackDecoder, writeInt, type HeaderField } from '../../../src/server/api/h2/hpack.js'
import {
  F,
  frameHeader,
  FrameError,
  FrameSplitter,
  HeaderBlockAssembler,
  PREFACE,
  T,
  type Frame,
} from '../../../src/server/api/h2/h2-frames.js'
import type { HttpHandler } from '../../../src/server/api/h2/index.js'
import {
  call,
  grpcJsClient,
  ProbeService,
  soloCert,
  startTestServer,
  tmpDir,
  type TestServer,
} from '../../helpers/h2-harness.js'
import { waitFor } from '../../helpers/wait.js'

const frame = (type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer =>
  Buffer.concat([frameHeader(payload.length, type, flags, streamId), payload])

/** A literal with incremental indexing (what Go and nghttp2 send for :authority). */
function indexed(name: string, value: string): Buffer {
  const out: number[] = [0x40]
  writeInt(out, name.length, 7, 0)
  for (const c of name) out.push(c.charCodeAt(0))
  writeInt(out, value.length, 7, 0)
  for (const c of value) out.push(c.charCodeAt(0))
  return Buffer.from(out)
}

const REQUEST = Buffer.concat([
  Buffer.from([0x83, 0x86]),
  indexed(':path', '/etcdserverpb.Maintenance/Status'),
  indexed(':authority', 'http://127.0.0.1:2379'),
])

/** Everything the rewriter put out, as frames, and each header block decoded with an empty-table decoder. */
function parse(out: Buffer): {
  frames: Frame[]
  blocks: { streamId: number; flags: number; priority: Buffer | null; fields: HeaderField[] }[]
  decoder: HpackDecoder
} {
  const frames = new FrameSplitter().push(out)
  const asm = new HeaderBlockAssembler()
  const decoder = new HpackDecoder()
  const blocks = []
  for (const f of frames) {
    const b = asm.add(f)
    if (b)
      blocks.push({
        streamId: b.streamId,
        flags: f.flags,
        priority: b.priority,
        fields: decoder.decode(b.fragment).fields,
      })
  }
  assert.equal(asm.inBlock, false)
  return { frames, blocks, decoder }
}

describe('h2 authority rewriting', () => {
  describe('which authorities node refuses', () => {
    it('matches node 20 byte by byte (checked against a live node HTTP/2 server)', async () => {
      const srv = http2.createServer()
      srv.on('stream', (s) => s.respond({ ':status': 200 }, { endStream: true }))
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
      const c = http2.connect(`http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`)
      try {
        const tryOne = (v: string): Promise<boolean> =>
          new Promise((resolve) => {
            const req = c.request({ ':authority': v, ':path': '/' }, { endStream: true })
            req.on('response', () => resolve(true))
            req.on('error', () => resolve(false))
            req.resume()
          })
        const accepted: number[] = []
        for (let b = 1; b < 256; b++) if (await tryOne(`a${String.fromCharCode(b)}b`)) accepted.push(b)
        const ours = Array.from({ length: 255 }, (_, i) => i + 1).filter((b) =>
          validAuthority(`a${String.fromCharCode(b)}b`),
        )
        assert.deepEqual(ours, accepted)
        assert.equal(validAuthority(''), await tryOne(''))
      } finally {
        c.close()
        srv.close()
      }
    })

    it('sanitizes URLs to host:port and anything else to localhost', () => {
      assert.equal(sanitizeAuthority('http://127.0.0.1:2379'), '127.0.0.1:2379')
      assert.equal(sanitizeAuthority('https://[::1]:2379/'), '[::1]:2379')
      assert.equal(sanitizeAuthority('#initially=[http://127.0.0.1:2379;http://127.0.0.1:22379]'), 'localhost')
      assert.equal(sanitizeAuthority('unix:///tmp/etcd.sock'), 'localhost')
      assert.equal(sanitizeAuthority(''), 'localhost')
    })
  })

  describe('ClientRewriter', () => {
    it('re-encodes a padded, prioritised HEADERS frame with CONTINUATIONs: no padding, priority and END_STREAM kept', () => {
      const priority = Buffer.from([0x80, 0, 0, 3, 41])
      const pad = Buffer.alloc(7, 0xee)
      const headers = frame(
        T.HEADERS,
        F.PADDED | F.PRIORITY | F.END_STREAM,
        5,
        Buffer.concat([Buffer.from([pad.length]), priority, REQUEST.subarray(0, 10), pad]),
      )
      const cont1 = frame(T.CONTINUATION, 0, 5, REQUEST.subarray(10, 30))
      const cont2 = frame(T.CONTINUATION, F.END_HEADERS, 5, REQUEST.subarray(30))
      const out = ClientRewriter.fresh().push(Buffer.concat([headers, cont1, cont2]))
      const { frames, blocks, decoder } = parse(out)
      assert.equal(frames.length, 1)
      assert.equal(frames[0]!.type, T.HEADERS)
      assert.equal(frames[0]!.flags, F.PRIORITY | F.END_STREAM | F.END_HEADERS)
      assert.deepEqual(blocks[0]!.priority, priority)
      assert.deepEqual(
        blocks[0]!.fields.map((f) => [f.name, f.value]),
        [
          [':method', 'POST'],
          [':scheme', 'http'],
          [':path', '/etcdserverpb.Maintenance/Status'],
          [':authority', '127.0.0.1:2379'],
        ],
      )
      assert.equal(decoder.tableSize, 0, "node's table stays empty")
    })

    it("decodes later blocks with the client's dynamic table (references become literals)", () => {
      const r = ClientRewriter.fresh()
      r.push(frame(T.HEADERS, F.END_HEADERS, 1, REQUEST))
      // 0xbe = dynamic index 62 (the :authority just added), 0xbf = 63 (:path), then a size update is not allowed mid-block.
      const second = Buffer.concat([Buffer.from([0x83, 0x86, 0xbf, 0xbe])])
      const { blocks, decoder } = parse(r.push(frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, 3, second)))
      assert.deepEqual(blocks[0]!.fields[2], { name: ':path', value: '/etcdserverpb.Maintenance/Status' })
      assert.deepEqual(blocks[0]!.fields[3], { name: ':authority', value: '127.0.0.1:2379' })
      assert.equal(decoder.tableSize, 0)
    })

    it('passes other frames through byte for byte, drops only the first SETTINGS ACK, and keeps size updates', () => {
      const r = new ClientRewriter(new FrameSplitter(), new HeaderBlockAssembler(), new HpackDecoder(), false)
      const others = [
        frame(T.WINDOW_UPDATE, 0, 0, Buffer.from([0, 0, 0x10, 0])),
        frame(T.PING, 0, 0, Buffer.alloc(8, 1)),
        frame(T.DATA, F.END_STREAM, 1, Buffer.from('hello')),
      ]
      const ack = frame(T.SETTINGS, F.ACK, 0)
      const update: number[] = []
      writeInt(update, 2048, 5, 0x20)
      const out = r.push(
        Buffer.concat([
          ack,
          others[0]!,
          frame(T.HEADERS, F.END_HEADERS, 1, Buffer.concat([Buffer.from(update), REQUEST])),
          others[1]!,
          ack,
          others[2]!,
        ]),
      )
      const { frames, blocks } = parse(out)
      assert.deepEqual(
        frames.map((f) => f.type),
        [T.WINDOW_UPDATE, T.HEADERS, T.PING, T.SETTINGS, T.DATA],
      )
      assert.deepEqual(frames[0]!.raw, others[0])
      assert.deepEqual(frames[2]!.raw, others[1])
      assert.deepEqual(frames[3]!.raw, ack)
      assert.deepEqual(frames[4]!.raw, others[2])
      assert.equal(blocks[0]!.fields[3]!.value, '127.0.0.1:2379')
      // The size update goes on first, so node's decoder sees what the client's encoder did.
      const hb = frames[1]!.payload
      assert.equal(hb[0]! & 0xe0, 0x20)
    })

    it('splits a re-encoded block larger than the frame size into CONTINUATION frames', () => {
      const r = ClientRewriter.fresh()
      const big = (i: number): string =>
        String.fromCharCode(...Array.from({ length: 9000 }, (_, j) => 0x80 + ((i * 31 + j * 7) % 128)))
      const adds = [1, 2, 3].map((i) => indexed(`x-big-${i}`, big(i)))
      // Entries larger than the 4096-octet table empty it and are not added.
      const out: Buffer[] = []
      const expected: [string, string][] = []
      for (let i = 0; i < 3; i++) {
        out.push(r.push(frame(T.HEADERS, F.END_HEADERS, 1 + 2 * i, Buffer.concat([REQUEST, adds[i]!]))))
        expected.push([`x-big-${i + 1}`, big(i + 1)])
      }
      // One block of 36 KB in literals (these bytes do not Huffman-code shorter): 2 CONTINUATION frames at 16 KiB.
      const many: HeaderField[] = [
        { name: ':method', value: 'POST' },
        ...[1, 2, 3, 4].map((i) => ({ name: `x-v-${i}`, value: big(i + 3) })),
      ]
      const raw = encodeHeaderBlock(many, { huffman: false })
      const cut = [raw.subarray(0, 12000), raw.subarray(12000, 24000), raw.subarray(24000)]
      out.push(
        r.push(
          Buffer.concat([
            frame(T.HEADERS, F.END_STREAM, 9, cut[0]!),
            frame(T.CONTINUATION, 0, 9, cut[1]!),
            frame(T.CONTINUATION, F.END_HEADERS, 9, cut[2]!),
          ]),
        ),
      )
      const { frames, blocks } = parse(Buffer.concat(out))
      for (const f of frames) assert.ok(f.payload.length <= 16384, `frame of ${f.payload.length}`)
      const last = frames.filter((f) => f.streamId === 9)
      assert.deepEqual(
        last.map((f) => [f.type, f.flags]),
        [
          [T.HEADERS, F.END_STREAM],
          [T.CONTINUATION, 0],
          [T.CONTINUATION, F.END_HEADERS],
        ],
      )
      assert.equal(last[0]!.payload.length, 16384)
      for (let i = 0; i < 3; i++)
        assert.deepEqual([blocks[i]!.fields[4]!.name, blocks[i]!.fields[4]!.value], expected[i])
      assert.deepEqual(blocks[3]!.fields, many)
    })

    it('gives the same bytes fed one byte at a time', () => {
      const input = Buffer.concat([
        frame(T.SETTINGS, 0, 0),
        frame(T.HEADERS, F.END_HEADERS | F.PADDED, 1, Buffer.concat([Buffer.from([3]), REQUEST, Buffer.alloc(3)])),
        frame(T.DATA, 0, 1, Buffer.from('x')),
      ])
      const whole = ClientRewriter.fresh().push(input)
      const r = ClientRewriter.fresh()
      const bytes = Buffer.concat([...input].map((b) => r.push(Buffer.from([b]))))
      assert.deepEqual(bytes, whole)
    })

    it('refuses an interrupted header block, a CONTINUATION out of place and padding longer than the frame', () => {
      assert.throws(
        () =>
          ClientRewriter.fresh().push(
            Buffer.concat([frame(T.HEADERS, 0, 1, REQUEST.subarray(0, 5)), frame(T.DATA, 0, 1, Buffer.from('x'))]),
          ),
        FrameError,
      )
      assert.throws(
        () =>
          ClientRewriter.fresh().push(
            Buffer.concat([
              frame(T.HEADERS, 0, 1, REQUEST.subarray(0, 5)),
              frame(T.CONTINUATION, F.END_HEADERS, 3, REQUEST.subarray(5)),
            ]),
          ),
        FrameError,
      )
      assert.throws(() => ClientRewriter.fresh().push(frame(T.CONTINUATION, F.END_HEADERS, 1, REQUEST)), FrameError)
      assert.throws(
        () => ClientRewriter.fresh().push(frame(T.HEADERS, F.END_HEADERS | F.PADDED, 1, Buffer.from([200, 0x82]))),
        FrameError,
      )
      assert.throws(() => ClientRewriter.fresh().push(frameHeader(16385, T.DATA, 0, 1)), FrameError)
    })
  })

  describe('GrpcServer', function () {
    this.timeout(30_000)
    /** Answers with the request headers it got and whether node read the socket natively. */
    const echo: HttpHandler = (req, res) => {
      const r = req as http2.Http2ServerRequest
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ headers: r.headers, native: r.socket.remoteAddress !== undefined }))
    }
    let t: TestServer
    let tlsT: TestServer
    let ca: Buffer
    before(async () => {
      t = await startTestServer({ httpHandler: echo })
      const cert = await soloCert(tmpDir('tsetcd-h2-auth-'), 'server')
      ca = cert.caPem
      tlsT = await startTestServer({
        httpHandler: echo,
        url: 'https://127.0.0.1:0',
        listen: { tls: { cert: cert.certPem, key: cert.keyPem } },
      })
    })
    after(async () => {
      await t.close()
      await tlsT.close()
    })

    function get(
      session: http2.ClientHttp2Session,
      headers: http2.OutgoingHttpHeaders,
    ): Promise<{ headers: Record<string, string>; native: boolean }> {
      return new Promise((resolve, reject) => {
        const req = session.request({ ':path': '/echo', ...headers }, { endStream: true })
        let body = ''
        req.setEncoding('utf8')
        req.on('data', (d) => (body += d))
        req.on('end', () => resolve(JSON.parse(body)))
        req.on('error', reject)
      })
    }

    for (const secure of [false, true]) {
      const scheme = secure ? 'https' : 'http'
      const connect = (): http2.ClientHttp2Session => {
        const s = secure ? tlsT : t
        const session = http2.connect(
          `${scheme}://127.0.0.1:${s.port}`,
          secure ? { ca: [ca], servername: 'localhost' } : {},
        )
        session.on('error', () => {})
        return session
      }

      it(`${scheme}: requests with "${scheme}://127.0.0.1:port" and "#initially=[...]" as :authority get through, sanitized`, async () => {
        const port = (secure ? tlsT : t).port
        for (const [authority, seen] of [
          [`${scheme}://127.0.0.1:${port}`, `127.0.0.1:${port}`],
          [`#initially=[${scheme}://127.0.0.1:${port}]`, 'localhost'],
        ]) {
          const session = connect()
          try {
            const a = await get(session, { ':authority': authority, 'x-n': '1' })
            assert.equal(a.headers[':authority'], seen)
            assert.equal(a.native, false, 'read through the rewriting stream')
            // Later requests on the connection too (nghttp2 sends :authority from its dynamic table now).
            const b = await get(session, { ':authority': authority, 'x-n': '2' })
            assert.equal(b.headers[':authority'], seen)
            assert.equal(b.headers['x-n'], '2')
          } finally {
            session.close()
          }
        }
      })

      it(`${scheme}: a valid :authority leaves the connection to node (no rewriting)`, async () => {
        const session = connect()
        try {
          const a = await get(session, {})
          assert.equal(a.native, true)
          assert.match(a.headers[':authority']!, /^(127\.0\.0\.1|localhost):\d+$/)
          // ...even when a later request has a bad one: node refuses that stream, as before.
          await assert.rejects(get(session, { ':authority': 'http://x' }))
          assert.equal((await get(session, {})).native, true)
        } finally {
          session.close()
        }
      })
    }

    it('300 requests with random headers on one rewritten connection arrive intact (nghttp2 HPACK in, nghttp2 HPACK out)', async () => {
      const session = http2.connect(`http://127.0.0.1:${t.port}`)
      session.on('error', () => {})
      const chars = '\t' + String.fromCharCode(...Array.from({ length: 0x7f - 0x20 }, (_, i) => 0x20 + i))
      const rnd = (n: number): string =>
        Array.from({ length: n }, () => chars[Math.floor(Math.random() * chars.length)])
          .join('')
          .trim()
      try {
        const sent: Record<string, string>[] = []
        const got = await Promise.all(
          Array.from({ length: 300 }, (_, i) => {
            const h: Record<string, string> = {
              ':authority': `http://127.0.0.1:${t.port}`,
              [`x-k${i % 7}`]: rnd(1 + (i % 50)),
              'x-same': 'same-value',
              'x-long': rnd(i * 10),
            }
            if (i % 3 === 0) h['x-big'] = rnd(5000)
            sent.push(h)
            return get(session, h)
          }),
        )
        got.forEach((g, i) => {
          for (const [k, v] of Object.entries(sent[i]!))
            assert.equal(g.headers[k], k === ':authority' ? `127.0.0.1:${t.port}` : v, `request ${i} header ${k}`)
        })
      } finally {
        session.close()
      }
    })

    it('grpc-js with grpc.default_authority "http://127.0.0.1:port": calls succeed; getPeer and getHost are right', async () => {
      const client = grpcJsClient(ProbeService, 'Probe', t.port, grpc.credentials.createInsecure(), {
        'grpc.default_authority': `http://127.0.0.1:${t.port}`,
      })
      try {
        t.log.peers.length = 0
        for (let i = 0; i < 3; i++) {
          const res = await call(client, 'Unary', { key: Buffer.from('echo'), range_end: Buffer.from(`v${i}`) })
          assert.equal(res.count, 2)
        }
        for (const p of t.log.peers) assert.match(p, /^127\.0\.0\.1:\d+$/)
      } finally {
        client.close()
      }
    })

    it("a connection idle past keepaliveIntervalMs before its first request is served by tsetcd's HTTP/2: gRPC works, the server pings it", async () => {
      const s = await startTestServer({ httpHandler: echo, keepaliveIntervalMs: 150, keepaliveTimeoutMs: 5000 })
      const client = grpcJsClient(ProbeService, 'Probe', s.port, grpc.credentials.createInsecure())
      try {
        const session = http2.connect(`http://127.0.0.1:${s.port}`)
        session.on('error', () => {})
        let pings = 0
        session.on('ping', () => pings++)
        await new Promise((r) => setTimeout(r, 400))
        await waitFor(() => pings > 0)
        const plain = await new Promise<unknown>((resolve) => {
          const r = session.request({ ':path': '/echo' }, { endStream: true })
          r.on('response', (h) => resolve(h[':status']))
          r.resume()
        })
        assert.equal(plain, 404)
        session.close()
        // grpc-js connects at once and sends its first call later.
        await new Promise((r) => setTimeout(r, 400))
        const res = await call(client, 'Unary', { key: Buffer.from('echo'), range_end: Buffer.from('v0') })
        assert.equal(res.count, 2)
      } finally {
        client.close()
        await s.close()
      }
    })

    it("a header block left unfinished when the connection goes idle is finished by tsetcd's HTTP/2", async () => {
      const s = await startTestServer({ httpHandler: echo, keepaliveIntervalMs: 100, keepaliveTimeoutMs: 5000 })
      const sock = net.connect(s.port, '127.0.0.1')
      const frames: Frame[] = []
      const splitter = new FrameSplitter(1 << 20)
      sock.on('data', (d) => frames.push(...splitter.push(d)))
      try {
        const block = encodeHeaderBlock([
          { name: ':method', value: 'GET' },
          { name: ':scheme', value: 'http' },
          { name: ':path', value: '/tsetcd.test.Probe/Unary' },
          { name: ':authority', value: 'http://example.test:1234' },
          { name: 'content-type', value: 'application/grpc' },
        ])
        sock.write(Buffer.concat([PREFACE, frame(T.SETTINGS, 0, 0)]))
        await waitFor(() => frames.some((f) => f.type === T.SETTINGS && f.flags === 0))
        sock.write(
          Buffer.concat([frame(T.SETTINGS, F.ACK, 0), frame(T.HEADERS, F.END_STREAM, 1, block.subarray(0, 6))]),
        )
        await new Promise((r) => setTimeout(r, 300))
        sock.write(frame(T.CONTINUATION, F.END_HEADERS, 1, block.subarray(6)))
        await waitFor(() => frames.some((f) => f.type === T.HEADERS && f.streamId === 1))
        const decoder = new HpackDecoder()
        const reply = decoder.decode(frames.find((f) => f.type === T.HEADERS && f.streamId === 1)!.payload).fields
        assert.deepEqual(reply.find((f) => f.name === ':status')?.value, '405')
      } finally {
        sock.destroy()
        await s.close()
      }
    })

    it('sends the SETTINGS node will send before the client sends a request (Go clients wait for them), and answers PINGs', async () => {
      const sock = net.connect(t.port, '127.0.0.1')
      const frames: Frame[] = []
      const splitter = new FrameSplitter(1 << 20)
      sock.on('data', (d) => frames.push(...splitter.push(d)))
      try {
        sock.write(Buffer.concat([PREFACE, frame(T.SETTINGS, 0, 0)]))
        await waitFor(() => frames.some((f) => f.type === T.SETTINGS && f.flags === 0))
        assert.deepEqual(
          frames[0]!.payload,
          http2.getPackedSettings({ maxConcurrentStreams: 2 ** 32 - 1, initialWindowSize: 1 << 20, enablePush: false }),
        )
        sock.write(frame(T.PING, 0, 0, Buffer.from('12345678')))
        await waitFor(() =>
          frames.some((f) => f.type === T.PING && f.flags === F.ACK && f.payload.toString() === '12345678'),
        )
      } finally {
        sock.destroy()
      }
    })

    it('shutting down closes connections still waiting for their first request at once, with GOAWAY', async () => {
      const s = await startTestServer()
      const sock = net.connect(s.port, '127.0.0.1')
      const frames: Frame[] = []
      const splitter = new FrameSplitter(1 << 20)
      sock.on('data', (d) => frames.push(...splitter.push(d)))
      sock.write(Buffer.concat([PREFACE, frame(T.SETTINGS, 0, 0)]))
      await waitFor(() => frames.length > 0)
      const started = Date.now()
      await s.server.tryShutdown(10_000)
      assert.ok(Date.now() - started < 2000)
      assert.ok(frames.some((f) => f.type === T.GOAWAY))
      sock.destroy()
      await s.close()
    })
  })
})
