import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { encodeMessage, withoutSnapshotData } from '../../../src/server/peer/codec.js'
import { FRAME_DATA, FRAME_META, endFrame, frameHeader } from '../../../src/server/peer/snapshot-frames.js'
import { SnapshotReader, SnapshotStreamError } from '../../../src/server/peer/snapshot-receiver.js'
import { makeMessage, type Message } from '../../../src/raft/types.js'
import { sleep, startCluster, startNode, stopAll, waitFor, type Node } from './harness.js'

function snapMsg(from: bigint, to: bigint, data: Uint8Array = new Uint8Array(0)): Message {
  return makeMessage({
    type: 'MsgSnap',
    from,
    to,
    term: 4,
    snapshot: {
      metadata: { index: 12345, term: 3, confState: { voters: [1n, 2n, 3n], learners: [0xfedcba9876543210n] } },
      data,
    },
  })
}

/** A snapshot body made on demand, `chunks` × `chunkBytes` random bytes, hashing what it yields. */
function generatedBody(chunks: number, chunkBytes: number) {
  const hash = createHash('sha256')
  const state = { produced: 0, digest: '' }
  async function* body(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < chunks; i++) {
      const c = randomBytes(chunkBytes)
      hash.update(c)
      state.produced += c.length
      yield c
    }
    state.digest = hash.digest('hex')
  }
  return { body: body(), state }
}

describe('peer transport: snapshots', function () {
  this.timeout(30_000)
  let nodes: Node[] = []
  afterEach(async () => {
    await stopAll(nodes)
    nodes = []
  })

  it('streams a multi-MB snapshot in chunks, verified end to end, without buffering it whole', async () => {
    nodes = await startCluster(2)
    const [a, b] = nodes
    const { body, state } = generatedBody(96, 256 << 10) // 24 MiB
    let consumed = 0
    let maxInFlight = 0
    let received: { msg: Message; digest: string; bytes: number } | undefined
    b.handler.onSnapshot = async (msg, data) => {
      const h = createHash('sha256')
      let n = 0
      for await (const piece of data) {
        h.update(piece)
        n += piece.byteLength
        consumed += piece.byteLength
        maxInFlight = Math.max(maxInFlight, state.produced - consumed)
        if (n % (4 << 20) < piece.byteLength) await sleep(5) // a consumer slower than the network
      }
      received = { msg, digest: h.digest('hex'), bytes: n }
    }
    const ok = await a.transport.sendSnapshot(snapMsg(1n, 2n), body)
    assert.equal(ok, true)
    assert.ok(received)
    assert.equal(received.bytes, 24 << 20)
    assert.equal(received.digest, state.digest)
    assert.deepEqual(received.msg.snapshot!.metadata, snapMsg(1n, 2n).snapshot!.metadata)
    assert.equal(received.msg.snapshot!.data.length, 0, 'the data went through onSnapshot')
    // the sender never ran far ahead of the consumer
    assert.ok(maxInFlight < 8 << 20, `${maxInFlight} bytes in flight`)
    // the message was stepped after the data was taken, and the sender's raft was told
    await waitFor(
      () => b.handler.received.length === 1 && a.handler.snapshotReports.length === 1,
      2000,
      'step and report',
    )
    assert.equal(b.handler.received[0].type, 'MsgSnap')
    assert.deepEqual(a.handler.snapshotReports, [{ id: 2n, ok: true }])
  })

  it('heartbeats keep flowing while a snapshot transfer is under way', async () => {
    nodes = await startCluster(2)
    const [a, b] = nodes
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    b.handler.onSnapshot = async (_msg, data) => {
      let first = true
      for await (const _ of data) {
        if (first) await gate // stall the transfer after the first piece
        first = false
      }
    }
    const { body } = generatedBody(40, 256 << 10)
    const sending = a.transport.sendSnapshot(snapMsg(1n, 2n), body)
    await sleep(50)
    a.transport.send([makeMessage({ type: 'MsgHeartbeat', from: 1n, to: 2n, commit: 5 })])
    await waitFor(() => b.handler.received.some((m) => m.type === 'MsgHeartbeat'), 2000, 'heartbeat during snapshot')
    release()
    assert.equal(await sending, true)
  })

  it('a MsgSnap given to send() with its data inline is streamed too', async () => {
    nodes = await startCluster(2)
    const [a, b] = nodes
    const data = randomBytes(3 << 20)
    a.transport.send([snapMsg(1n, 2n, data)])
    await waitFor(() => b.handler.received.length === 1, 5000, 'snapshot stepped')
    const got = b.handler.received[0]
    assert.equal(got.type, 'MsgSnap')
    assert.ok(Buffer.from(got.snapshot!.data).equals(data), 'data gathered into the message without onSnapshot')
    await waitFor(() => a.handler.snapshotReports.length === 1, 2000, 'report')
    assert.deepEqual(a.handler.snapshotReports, [{ id: 2n, ok: true }])
  })

  it('reports failure when the receiver fails to take the snapshot', async () => {
    nodes = await startCluster(2)
    const [a, b] = nodes
    b.handler.onSnapshot = async (_msg, data) => {
      let n = 0
      for await (const piece of data) {
        n += piece.byteLength
        if (n > 2 << 20) throw new Error('disk full')
      }
    }
    const { body } = generatedBody(32, 256 << 10)
    assert.equal(await a.transport.sendSnapshot(snapMsg(1n, 2n), body), false)
    await waitFor(() => a.handler.snapshotReports.length === 1, 2000, 'report')
    assert.deepEqual(a.handler.snapshotReports, [{ id: 2n, ok: false }])
    assert.ok(
      a.log.find('warn', 'failed to send snapshot').some((l) => /rejected: disk full/.test(String(l.fields.error))),
    )
    assert.ok(b.log.find('warn', 'failed to receive snapshot').length === 1)
    assert.equal(b.handler.received.length, 0, 'a failed snapshot is not stepped')
    // the message stream is unaffected
    a.transport.send([makeMessage({ type: 'MsgHeartbeat', from: 1n, to: 2n })])
    await waitFor(() => b.handler.received.length === 1, 2000, 'heartbeat after failed snapshot')
  })

  it('reports failure when the body fails on the sending side', async () => {
    nodes = await startCluster(2)
    const [a, b] = nodes
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield randomBytes(1 << 20)
      throw new Error('snapshot file unreadable')
    }
    assert.equal(await a.transport.sendSnapshot(snapMsg(1n, 2n), failing()), false)
    await waitFor(
      () => a.handler.snapshotReports.length === 1 && b.log.find('warn', 'failed to receive snapshot').length === 1,
      2000,
      'both sides noticed',
    )
    assert.deepEqual(a.handler.snapshotReports, [{ id: 2n, ok: false }])
    assert.equal(b.handler.received.length, 0)
  })

  it('fails at once, without reading the body, when the peer is not connected', async () => {
    const a = await startNode(1n)
    nodes = [a]
    a.transport.addPeer(2n, ['http://127.0.0.1:1'])
    let pulled = 0
    async function* body(): AsyncGenerator<Uint8Array> {
      pulled++
      yield new Uint8Array(10)
    }
    assert.equal(await a.transport.sendSnapshot(snapMsg(1n, 2n), body()), false)
    await waitFor(() => a.handler.snapshotReports.length === 1, 1000, 'report')
    assert.deepEqual(a.handler.snapshotReports, [{ id: 2n, ok: false }])
    assert.equal(pulled, 0)
  })
})

describe('SnapshotReader', () => {
  const data = randomBytes(300_000)
  const msg = snapMsg(1n, 2n)

  function encodeStream(
    payload: Buffer,
    opts: { corruptAt?: number; truncate?: number; claimSize?: number } = {},
  ): Buffer {
    const meta = encodeMessage(withoutSnapshotData(msg))
    const parts: Buffer[] = [frameHeader(FRAME_META, meta.length), meta]
    const sent = Buffer.from(payload)
    if (opts.corruptAt !== undefined) sent[opts.corruptAt] ^= 0xff
    for (let off = 0; off < sent.length; off += 100_000) {
      const piece = sent.subarray(off, off + 100_000)
      parts.push(frameHeader(FRAME_DATA, piece.length), piece)
    }
    parts.push(endFrame(opts.claimSize ?? payload.length, createHash('sha256').update(payload).digest()))
    const all = Buffer.concat(parts)
    return opts.truncate === undefined ? all : all.subarray(0, opts.truncate)
  }

  async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
    for (let off = 0; off < buf.length; off += size) yield buf.subarray(off, off + size)
  }

  async function readAll(buf: Buffer, chunkSize: number): Promise<{ msg: Message; data: Buffer; complete: boolean }> {
    const r = new SnapshotReader(chunked(buf, chunkSize))
    const m = await r.readMessage()
    const parts: Uint8Array[] = []
    for await (const p of r.body()) parts.push(p)
    return { msg: m, data: Buffer.concat(parts), complete: r.complete }
  }

  it('reads the message and the data whatever the chunking', async () => {
    for (const size of [1, 5, 4093, 65536, 1 << 20]) {
      const got = await readAll(encodeStream(data), size)
      assert.equal(got.complete, true)
      assert.ok(got.data.equals(data), `chunk size ${size}`)
      assert.deepEqual(got.msg.snapshot!.metadata, msg.snapshot!.metadata)
    }
  })

  it('throws on corrupted data', async () => {
    await assert.rejects(
      readAll(encodeStream(data, { corruptAt: 12345 }), 8192),
      (e: Error) => e instanceof SnapshotStreamError && /SHA-256 mismatch/.test(e.message),
    )
  })

  it('throws on a truncated stream', async () => {
    const full = encodeStream(data)
    await assert.rejects(readAll(full.subarray(0, full.length - 20), 8192), /ended early/)
    await assert.rejects(readAll(full.subarray(0, 200_000), 8192), /ended early/)
  })

  it('throws when the length does not match', async () => {
    await assert.rejects(
      readAll(encodeStream(data, { claimSize: data.length + 1 }), 8192),
      /received 300000 bytes of data, sender sent 300001/,
    )
  })
})
