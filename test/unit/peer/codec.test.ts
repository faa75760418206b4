import assert from 'node:assert/strict'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'
import {
  approxMessageSize,
  decodeBatch,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  encodeBatch,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
} from '../../../src/server/peer/codec.js'
import { FrameDecoder, FrameTooLargeError } from '../../../src/server/peer/frame-decoder.js'
import { MessageType, makeMessage, type Entry, type Message } from '../../../src/raft/types.js'
import { Rng } from '../../helpers/rng.js'

const protoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../proto')
const MAX_ID = 0xffffffffffffffffn

function bytes(rng: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = rng.int(256)
  return b
}

/** A message of each type with every field the type can carry set to something non-zero. */
function sampleMessages(rng: Rng): Message[] {
  return Object.values(MessageType).map((type, i) => {
    const entries: Entry[] =
      type === 'MsgApp' || type === 'MsgProp'
        ? [
            { term: 7, index: 2 ** 40 + i, type: 'normal', data: bytes(rng, 100) },
            { term: 7, index: 2 ** 40 + i + 1, type: 'confChange', data: bytes(rng, 12) },
            { term: 8, index: 2 ** 40 + i + 2, type: 'normal', data: Buffer.alloc(0) },
          ]
        : []
    const m = makeMessage({
      type,
      to: MAX_ID - BigInt(i),
      from: 0x7e27652122e8b2aen + BigInt(i),
      term: 3 + i,
      logTerm: 2 + i,
      index: 2 ** 50 + i,
      entries,
      commit: 1000 + i,
      reject: i % 2 === 1,
      rejectHint: i * 17,
    })
    if (type === 'MsgSnap') {
      m.snapshot = {
        metadata: {
          index: 2 ** 45,
          term: 99,
          confState: { voters: [1n, MAX_ID, 0x8000000000000000n], learners: [42n] },
        },
        data: bytes(rng, 5000),
      }
    }
    if (i % 3 === 0) m.context = bytes(rng, 8)
    return m
  })
}

describe('peer codec (raftpb)', () => {
  it('round-trips a message of every MessageType with all fields, bigint IDs and entries', () => {
    const msgs = sampleMessages(new Rng(1))
    assert.equal(msgs.length, Object.keys(MessageType).length)
    for (const m of msgs) {
      const back = decodeMessage(encodeMessage(m))
      assert.deepEqual(normalize(back), normalize(m), m.type)
    }
  })

  it('keeps context presence: absent, empty and non-empty differ', () => {
    const absent = decodeMessage(encodeMessage(makeMessage({ type: 'MsgHeartbeat', to: 2n, from: 1n })))
    assert.equal(absent.context, undefined)
    const empty = decodeMessage(
      encodeMessage(makeMessage({ type: 'MsgHeartbeat', to: 2n, from: 1n, context: new Uint8Array(0) })),
    )
    assert.ok(empty.context !== undefined)
    assert.equal(empty.context.byteLength, 0)
    const full = decodeMessage(encodeMessage(makeMessage({ type: 'MsgReadIndex', context: Uint8Array.of(9, 8, 7) })))
    assert.deepEqual([...full.context!], [9, 8, 7])
  })

  it('round-trips a message with all-zero fields', () => {
    const m = makeMessage({ type: 'MsgApp' })
    const enc = encodeMessage(m)
    assert.equal(enc.length, 0, 'proto3 leaves zero values out')
    assert.deepEqual(decodeMessage(enc), m)
  })

  it('round-trips entries, snapshots with conf state and hard states on their own', () => {
    const e: Entry = { term: 5, index: 2 ** 52, type: 'confChange', data: Buffer.from('cc') }
    assert.deepEqual(normalizeEntry(decodeEntry(encodeEntry(e))), normalizeEntry(e))
    const s = {
      metadata: { index: 77, term: 6, confState: { voters: [3n, 1n, MAX_ID], learners: [] } },
      data: Buffer.from('state'),
    }
    const sb = decodeSnapshot(encodeSnapshot(s))
    assert.deepEqual({ ...sb, data: [...sb.data] }, { ...s, data: [...s.data] })
    const hs = { term: 12, vote: MAX_ID - 5n, commit: 2 ** 33 }
    assert.deepEqual(decodeHardState(encodeHardState(hs)), hs)
  })

  it('is the wire format proto/raftpb/raft.proto describes (cross-checked with protobufjs)', () => {
    const root = new protobuf.Root()
    root.resolvePath = (_o, target) => (path.isAbsolute(target) ? target : path.join(protoDir, target))
    root.loadSync('raftpb/raft.proto', { keepCase: true })
    const T = root.lookupType('raftpb.Message')
    for (const m of sampleMessages(new Rng(2))) {
      const obj = T.toObject(T.decode(encodeMessage(m)), { longs: String, enums: String, bytes: Array }) as Record<
        string,
        unknown
      >
      assert.equal(obj.type ?? 'MsgApp', m.type)
      assert.equal(BigInt(String(obj.to)), m.to)
      assert.equal(BigInt(String(obj.from)), m.from)
      assert.equal(Number(obj.index), m.index)
      const entries = (obj.entries ?? []) as { type?: string; index: string; data?: number[] }[]
      assert.equal(entries.length, m.entries.length)
      entries.forEach((e, i) => {
        assert.equal(e.type ?? 'EntryNormal', m.entries[i].type === 'normal' ? 'EntryNormal' : 'EntryConfChange')
        assert.equal(Number(e.index), m.entries[i].index)
        assert.deepEqual(e.data ?? [], [...m.entries[i].data])
      })
      if (m.snapshot) {
        const cs = (obj.snapshot as { metadata: { conf_state: { voters: string[] } } }).metadata.conf_state
        assert.deepEqual(
          cs.voters.map((v) => BigInt(v)),
          m.snapshot.metadata.confState.voters,
        )
      }
    }
  })

  it('rejects an unknown message type number', () => {
    const bad = Buffer.from([0x08, 0x63]) // field 1 (type) = 99
    assert.throws(() => decodeMessage(bad), /unknown message type 99/)
  })

  it('encodes a batch into one buffer and decodes it back in order', () => {
    const msgs = sampleMessages(new Rng(3))
    const buf = encodeBatch(msgs)
    assert.equal(
      buf.length,
      msgs.reduce((n, m) => n + encodeMessage(m).length + lenPrefix(encodeMessage(m).length), 0),
    )
    assert.deepEqual(decodeBatch(buf).map(normalize), msgs.map(normalize))
    assert.deepEqual(decodeBatch(encodeBatch(msgs, 3, 6)).map(normalize), msgs.slice(3, 6).map(normalize))
  })

  it('estimates sizes no smaller than the data they carry', () => {
    for (const m of sampleMessages(new Rng(4))) {
      const data = m.entries.reduce((n, e) => n + e.data.length, 0) + (m.snapshot?.data.length ?? 0)
      assert.ok(approxMessageSize(m) >= data, m.type)
      assert.ok(approxMessageSize(m) >= encodeMessage(m).length * 0.5, m.type)
    }
  })
})

describe('FrameDecoder', () => {
  it('splits length-delimited frames at any chunk boundaries', () => {
    const rng = new Rng(5)
    const msgs = [...sampleMessages(rng), makeMessage({ type: 'MsgApp' }), ...sampleMessages(rng)]
    msgs.push(
      makeMessage({ type: 'MsgApp', entries: [{ term: 1, index: 1, type: 'normal', data: bytes(rng, 300_000) }] }),
    )
    const buf = encodeBatch(msgs)
    for (const chunkSize of [1, 2, 3, 7, 100, 4096, 65536, buf.length]) {
      const out: Message[] = []
      const d = new FrameDecoder(1 << 20)
      for (let off = 0; off < buf.length; off += chunkSize)
        d.push(buf.subarray(off, off + chunkSize), (f) => out.push(decodeMessage(f)))
      assert.ok(d.idle)
      assert.deepEqual(out.map(normalize), msgs.map(normalize), `chunk size ${chunkSize}`)
    }
    // random cuts
    for (let round = 0; round < 20; round++) {
      const out: Message[] = []
      const d = new FrameDecoder(1 << 20)
      let off = 0
      while (off < buf.length) {
        const n = 1 + rng.int(5000)
        d.push(buf.subarray(off, off + n), (f) => out.push(decodeMessage(f)))
        off += n
      }
      assert.equal(out.length, msgs.length)
    }
  })

  it('hands out frames inside one chunk without copying', () => {
    const buf = encodeBatch([
      makeMessage({ type: 'MsgApp', entries: [{ term: 1, index: 1, type: 'normal', data: Buffer.alloc(64, 1) }] }),
    ])
    const d = new FrameDecoder(1024)
    let frame: Buffer | undefined
    d.push(buf, (f) => (frame = f))
    assert.equal(frame!.buffer, buf.buffer)
  })

  it('refuses a frame longer than its limit', () => {
    const buf = encodeBatch([
      makeMessage({ type: 'MsgApp', entries: [{ term: 1, index: 1, type: 'normal', data: Buffer.alloc(5000) }] }),
    ])
    assert.throws(() => new FrameDecoder(1000).push(buf, () => {}), FrameTooLargeError)
  })
})

function lenPrefix(n: number): number {
  let k = 1
  while (n >= 128) {
    n = Math.floor(n / 128)
    k++
  }
  return k
}

function normalizeEntry(e: Entry) {
  return { ...e, data: [...e.data] }
}

function normalize(m: Message) {
  return {
    ...m,
    entries: m.entries.map(normalizeEntry),
    snapshot: m.snapshot === undefined ? undefined : { ...m.snapshot, data: [...m.snapshot.data] },
    context: m.context === undefined ? undefined : [...m.context],
  }
}

describe('peer messages with numbers beyond 2^53', () => {
  it('are refused whole by the decoder, with an UnrepresentableMessageError', async () => {
    const { UnrepresentableMessageError } = await import('../../../src/server/peer/codec.js')
    const pb = await import('../../../src/gen/raftpb.js')
    const cases = [
      { type: pb.MessageType.MsgHeartbeat, to: 1n, from: 2n, term: 2 ** 62 },
      { type: pb.MessageType.MsgApp, to: 1n, from: 2n, term: 3, index: 2 ** 60 },
      {
        type: pb.MessageType.MsgApp,
        to: 1n,
        from: 2n,
        term: 3,
        entries: [{ term: 3, index: 2 ** 54, type: 0, data: Buffer.alloc(0) }],
      },
      { type: pb.MessageType.MsgHeartbeat, to: 1n, from: 2n, term: -1 },
    ]
    for (const m of cases)
      assert.throws(
        () => decodeMessage(pb.encodeMessage(m)),
        UnrepresentableMessageError,
        JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      )
    assert.equal(
      decodeMessage(pb.encodeMessage({ type: pb.MessageType.MsgHeartbeat, to: 1n, from: 2n, term: 2 ** 53 - 1 })).term,
      2 ** 53 - 1,
    )
  })
})
