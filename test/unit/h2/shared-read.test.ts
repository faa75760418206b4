/**
 * Client connections read into one buffer shared by every connection (shared-read.ts): node's
 * sockets must still take it on this node, and nothing a connection keeps past a read may be
 * a view of that buffer (a partial frame, a header block waiting for CONTINUATION frames).
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { encodePutRequest } from '../../../src/gen/etcdserverpb.js'
import { frameMessage } from '../../../src/server/api/h2/framing.js'
import { FrameSplitter, HeaderBlockAssembler } from '../../../src/server/api/h2/h2-frames.js'
import { readIntoShared } from '../../../src/server/api/h2/shared-read.js'
import { startTestServer } from '../../helpers/h2-harness.js'
import { Flag, FrameType, PREFACE, hpackLiteral } from './raw-h2.js'

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9)
  h.writeUIntBE(payload.length, 0, 3)
  h[3] = type
  h[4] = flags
  h.writeUInt32BE(streamId, 5)
  return Buffer.concat([h, payload])
}

const CONTINUATION = 9
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A deterministic generator (tests repeat). */
function lcg(seed: number): (n: number) => number {
  let s = seed
  return (n) => (s = (s * 48271) % 2147483647) % n
}

describe('h2 shared read buffer', function () {
  this.timeout(30_000)

  it('an accepted socket reads into one buffer for all connections, with end, pause and resume as before', async () => {
    const seen: { conn: number; text: string; buffer: ArrayBufferLike }[] = []
    const ended: number[] = []
    const sockets: net.Socket[] = []
    const taken: boolean[] = []
    const server = net.createServer((s) => {
      const conn = sockets.length
      sockets.push(s)
      taken.push(readIntoShared(s, (chunk) => seen.push({ conn, text: chunk.toString(), buffer: chunk.buffer })))
      s.on('end', () => {
        ended.push(conn)
        s.end()
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as net.AddressInfo).port
    const clients = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')]
    await Promise.all(clients.map((c) => new Promise((r) => c.once('connect', r))))
    while (sockets.length < 2) await sleep(5)
    assert.deepEqual(taken, [true, true], 'node no longer lets an accepted socket read into a given buffer')

    clients[0]!.write('one')
    await sleep(30)
    clients[1]!.write('two')
    await sleep(30)
    assert.deepEqual(
      seen.map((x) => [x.conn, x.text]),
      [
        [0, 'one'],
        [1, 'two'],
      ],
    )
    assert.equal(seen[0]!.buffer, seen[1]!.buffer, 'both read into the same buffer')

    sockets[0]!.pause()
    clients[0]!.write('held')
    await sleep(50)
    assert.equal(seen.length, 2, 'a paused socket is not read')
    sockets[0]!.resume()
    await sleep(50)
    assert.deepEqual(seen[2] && [seen[2].conn, seen[2].text], [0, 'held'])

    for (const c of clients) c.end()
    await Promise.all(clients.map((c) => new Promise((r) => c.once('close', r))))
    assert.deepEqual(ended.sort(), [0, 1], "each socket's end still comes")
    server.close()
  })

  it('a partial frame left over from a lent chunk is copied before the chunk is reused', () => {
    const frames = [frame(0, 0, 1, Buffer.alloc(300, 'a')), frame(0, 1, 3, Buffer.alloc(500, 'b'))]
    const bytes = Buffer.concat(frames)
    const lent = Buffer.alloc(bytes.length)
    const splitter = new FrameSplitter()
    const got: string[] = []
    for (const [from, to] of [
      [0, 200],
      [200, 700],
      [700, bytes.length],
    ] as const) {
      bytes.copy(lent, 0, from, to)
      for (const f of splitter.push(lent.subarray(0, to - from), true))
        got.push(`${f.streamId}:${f.payload.toString()}`)
      lent.fill(0xee) // the next read overwrites the buffer
    }
    assert.deepEqual(got, [`1:${'a'.repeat(300)}`, `3:${'b'.repeat(500)}`])
  })

  it('a header block waiting for CONTINUATION frames keeps copies of its fragments', () => {
    const block = Buffer.concat([hpackLiteral(':path', '/a/b'), hpackLiteral('x-one', 'v'.repeat(40))])
    const lent = Buffer.alloc(64)
    const assembler = new HeaderBlockAssembler()
    const add = (type: number, flags: number, part: Buffer) => {
      // The frame is a view of `lent`, as the splitter's frames are of the read buffer.
      const f = frame(type, flags, 1, part)
      f.copy(lent)
      const view = lent.subarray(0, f.length)
      const r = assembler.add({ type, flags, streamId: 1, raw: view, payload: view.subarray(9) })
      assembler.keep()
      lent.fill(0xee)
      return r
    }
    assert.equal(add(FrameType.HEADERS, 0, block.subarray(0, 20)), null)
    const done = add(CONTINUATION, Flag.END_HEADERS, block.subarray(20))
    assert.deepEqual(done?.fragment, block)
  })

  it('puts sent frame by frame, some cut in two, over two connections at once all arrive whole', async () => {
    const t = await startTestServer()
    const rand = lcg(7)
    const want = new Map<string, Buffer>()
    // Each write is read on its own and starts where a frame starts: a frame cut in two
    // leaves its first part behind, and a HEADERS frame read whole waits for its
    // CONTINUATION frames, while the other connection's next read overwrites the buffer.
    const writes = (conn: number): Buffer[] => {
      const out: Buffer[] = [Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0, Buffer.alloc(0))])]
      const add = (f: Buffer, cut: boolean) => {
        if (!cut) return out.push(f)
        const at = 1 + rand(f.length - 1)
        out.push(f.subarray(0, at), f.subarray(at))
      }
      for (let i = 0; i < 30; i++) {
        const id = 2 * i + 1
        const key = `c${conn}/k${i}`
        const value = Buffer.alloc(100 + rand(3000), `${conn}${i}-`)
        want.set(key, value)
        const block = Buffer.concat([
          hpackLiteral(':method', 'POST'),
          hpackLiteral(':scheme', 'http'),
          hpackLiteral(':path', '/etcdserverpb.KV/Put'),
          hpackLiteral(':authority', `127.0.0.1:${t.port}`),
          hpackLiteral('content-type', 'application/grpc'),
          hpackLiteral('te', 'trailers'),
        ])
        if (i % 2 === 0) add(frame(FrameType.HEADERS, Flag.END_HEADERS, id, block), rand(2) === 0)
        else {
          const a = 10 + rand(40)
          add(frame(FrameType.HEADERS, 0, id, block.subarray(0, a)), false)
          add(frame(CONTINUATION, 0, id, block.subarray(a, a + 30)), rand(2) === 0)
          add(frame(CONTINUATION, Flag.END_HEADERS, id, block.subarray(a + 30)), false)
        }
        const put = frameMessage(encodePutRequest({ key: Buffer.from(key), value }))
        add(frame(FrameType.DATA, Flag.END_STREAM, id, put), rand(3) !== 0)
      }
      return out
    }
    const inputs = [writes(0), writes(1)]
    const clients = [net.connect(t.port, '127.0.0.1'), net.connect(t.port, '127.0.0.1')]
    await Promise.all(clients.map((c) => new Promise((r) => c.once('connect', r))))
    for (const c of clients) c.on('data', () => {})
    for (let i = 0; i < Math.max(inputs[0]!.length, inputs[1]!.length); i++) {
      for (const c of [0, 1]) {
        const w = inputs[c]![i]
        if (w === undefined) continue
        clients[c]!.write(w)
        await sleep(2)
      }
    }
    for (let i = 0; i < 200 && t.puts() < 60; i++) await sleep(10)
    try {
      assert.equal(t.puts(), 60)
      for (const [k, v] of want) assert.ok(t.store.get(k)?.equals(v), `${k} arrived whole`)
    } finally {
      for (const c of clients) c.destroy()
      await t.close()
    }
  })
})
