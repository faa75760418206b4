import assert from 'node:assert/strict'
import {
  decodeBatch,
  decodeEntry,
  decodeHardState,
  decodeSegment,
  decodeSnapshot,
  findBatchRecord,
  readFrame,
} from '../../../src/server/wal/decoder.js'
import { encodeBatch, encodeSave, encodeSegmentHead, encodeSnapshotMarker } from '../../../src/server/wal/encoder.js'
import { HEADER_SIZE, RecordType } from '../../../src/server/wal/record.js'
import { nonZeroEnd, scanSegment } from '../../../src/server/wal/segment-scan.js'
import { entry, rng } from './helpers.js'

const LOG = 0x1234_5678_9abc_def0n

/** Every record in `buf`, in order (stops at the first invalid one). */
function frames(buf: Buffer, from = 0) {
  const out = []
  for (let off = from; off < buf.length;) {
    const f = readFrame(buf, off)
    if (!f.ok) break
    out.push({ off, ...f })
    off = f.next
  }
  return out
}

describe('wal records', () => {
  it('round-trip every record type, each starting on an 8-byte boundary', () => {
    const r = rng(7)
    const hs = { term: 2 ** 33 + 1, vote: 0x8000000000000001n, commit: 2 ** 50 }
    const ents = [
      entry(1, 1, r.bytes(0)),
      entry(2, 1, r.bytes(1)),
      entry(3, 2, r.bytes(13), 1),
      entry(2 ** 45, 2 ** 31, r.bytes(300), 7),
    ]
    const meta = r.bytes(21)
    const buf = encodeBatch(LOG, [
      encodeSegmentHead(4, 99, meta, hs),
      encodeSave(hs, ents),
      encodeSnapshotMarker({ index: 77, term: 5 }),
    ])
    const fs = frames(buf)
    assert.deepEqual(
      fs.map((f) => f.type),
      [
        RecordType.Batch,
        RecordType.Segment,
        RecordType.Metadata,
        RecordType.HardState,
        RecordType.HardState,
        ...ents.map(() => RecordType.Entry),
        RecordType.Snapshot,
      ],
    )
    for (const f of fs) assert.equal(f.off % 8, 0)
    assert.equal(fs.at(-1)!.next, buf.length)
    assert.deepEqual(decodeBatch(fs[0]!.payload), { length: buf.length, logId: LOG })
    assert.deepEqual(decodeSegment(fs[1]!.payload), { seq: 4, firstIndex: 99 })
    assert.deepEqual(new Uint8Array(fs[2]!.payload), meta)
    assert.deepEqual(decodeHardState(fs[3]!.payload), hs)
    assert.deepEqual(
      fs.filter((f) => f.type === RecordType.Entry).map((f) => decodeEntry(f.payload)),
      ents,
    )
    assert.deepEqual(decodeSnapshot(fs.at(-1)!.payload), { index: 77, term: 5 })
  })

  it('reject values that do not fit the format', () => {
    assert.throws(() => encodeSave(undefined, [entry(-1, 1, new Uint8Array())]), RangeError)
    assert.throws(() => encodeSave(undefined, [entry(1.5, 1, new Uint8Array())]), RangeError)
    assert.throws(() => encodeSave(undefined, [entry(2 ** 53, 1, new Uint8Array())]), RangeError)
    assert.throws(() => encodeSave(undefined, [{ index: 1, term: 1, type: 256, data: new Uint8Array() }]), RangeError)
    assert.throws(() => encodeSnapshotMarker({ index: 1, term: -2 }), RangeError)
  })

  it('detect a change to any single byte of a record', () => {
    const r = rng(8)
    const buf = encodeSave({ term: 3, vote: 2n, commit: 1 }, [entry(5, 3, r.bytes(37))])
    const sizes = frames(buf).map((f) => f.next - f.off)
    for (let i = 0; i < buf.length; i++) {
      const bad = Buffer.from(buf)
      bad[i] = bad[i]! ^ (1 + r.int(255))
      const rec = i < sizes[0]! ? 0 : sizes[0]!
      const f = readFrame(bad, rec)
      assert.equal(f.ok, false, `byte ${i}`)
    }
  })

  it('see zeros as the end of data and a short header as truncation', () => {
    const z = readFrame(Buffer.alloc(64), 8)
    assert.equal(z.ok === false && z.zero, true)
    const buf = encodeSave(undefined, [entry(1, 1, new Uint8Array(20))])
    const cut = readFrame(buf.subarray(0, HEADER_SIZE - 1), 0)
    assert.equal(cut.ok === false && !cut.zero, true)
    const short = readFrame(buf.subarray(0, buf.length - 1), 0)
    assert.equal(short.ok, false)
  })
})

describe('wal segment scan', () => {
  const r = rng(9)
  const write = (n: number) =>
    encodeBatch(LOG, [encodeSave({ term: 1, vote: 0n, commit: n }, [entry(n, 1, r.bytes(1 + r.int(50)))])])
  const image = (writes: Buffer[], size: number) => {
    const buf = Buffer.alloc(size)
    let off = 0
    for (const w of writes) {
      w.copy(buf, off)
      off += w.length
    }
    return { buf, end: off }
  }

  it('reads complete batches and stops cleanly at the zeros of preallocation', () => {
    const writes = [1, 2, 3].map(write)
    const { buf, end } = image(writes, 4096)
    const scan = scanSegment(buf, undefined)
    assert.equal(scan.damage, undefined)
    assert.equal(scan.end, end)
    assert.equal(scan.logId, LOG)
    assert.equal(scan.records.filter((x) => x.type === RecordType.Entry).length, 3)
  })

  it('drops a whole batch when one of its records is bad, and says whether a valid batch follows', () => {
    const writes = [1, 2, 3].map(write)
    const { buf } = image(writes, 4096)
    const second = writes[0]!.length
    const mid = Buffer.from(buf)
    mid[second + 40] ^= 1
    const a = scanSegment(mid, undefined)
    assert.equal(a.end, second)
    assert.equal(a.damage!.laterBatch, second + writes[1]!.length)
    const third = second + writes[1]!.length
    const tail = Buffer.from(buf)
    tail[third + 40] ^= 1
    const b = scanSegment(tail, undefined)
    assert.equal(b.end, third)
    assert.equal(b.damage!.laterBatch, -1)
    // Up to the last non-zero byte of the torn write (its final padding may be zeros).
    assert.ok(b.dirtyEnd > third + writes[2]!.length - 8 && b.dirtyEnd <= third + writes[2]!.length, String(b.dirtyEnd))
  })

  it('does not take a batch of another log for a later write', () => {
    const writes = [write(1), encodeBatch(LOG + 1n, [encodeSave(undefined, [entry(2, 1, new Uint8Array(4))])])]
    const { buf } = image(writes, 1024)
    const scan = scanSegment(buf, LOG)
    assert.equal(scan.end, writes[0]!.length)
    assert.match(scan.damage!.reason, /another log/)
    assert.equal(findBatchRecord(buf, 8, LOG), -1)
    assert.equal(findBatchRecord(buf, 8, LOG + 1n), writes[0]!.length)
  })

  it('goes on from the scan of a prefix as if it had scanned the whole buffer', () => {
    const writes = [1, 2, 3, 4, 5].map(write)
    const { buf, end } = image(writes, 8192)
    const damaged = Buffer.from(buf)
    damaged[writes[0]!.length + writes[1]!.length + writes[2]!.length + 40] ^= 1
    const torn = Buffer.from(buf)
    torn[end + 300] = 7
    const plain = (s: ReturnType<typeof scanSegment>) => ({
      ...s,
      records: s.records.map((x) => ({ type: x.type, offset: x.offset, payload: Buffer.from(x.payload) })),
    })
    for (const img of [buf, damaged, torn]) {
      const whole = plain(scanSegment(img, undefined))
      for (let cut = 0; cut <= img.length; cut += 8) {
        const prefix = scanSegment(img.subarray(0, cut), undefined)
        const copy = Buffer.from(img)
        const resumed = scanSegment(copy, undefined, prefix)
        assert.deepEqual(plain(resumed), whole, `prefix of ${cut} bytes`)
        for (const x of resumed.records) assert.equal(x.payload.buffer, copy.buffer, 'records view the longer buffer')
      }
    }
  })

  it('finds the end of non-zero data', () => {
    const buf = Buffer.alloc(300_000)
    assert.equal(nonZeroEnd(buf, 0), 0)
    buf[200_001] = 1
    assert.equal(nonZeroEnd(buf, 0), 200_002)
    assert.equal(nonZeroEnd(buf, 250_000), 250_000)
  })
})
