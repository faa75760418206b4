import assert from 'node:assert/strict'
import path from 'node:path'
import protobuf from 'protobufjs'
import { Int64RangeError, Reader, Writer, sizeBigVarint, sizeInt64 } from '../../../src/proto/wire.js'
import {
  decodeRangeRequest,
  encodeRangeRequest,
  decodeResponseHeader,
  encodeResponseHeader,
  decodeTxnRequest,
  encodeTxnRequest,
  decodeWatchCreateRequest,
  encodeWatchCreateRequest,
} from '../../../src/gen/etcdserverpb.js'
import { decodeKeyValue, encodeKeyValue } from '../../../src/gen/mvccpb.js'

describe('protobuf wire runtime', () => {
  it('round-trips int64 numbers, including negatives and values above 2^32', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 52 + 3, -1, -2, -(2 ** 40) - 7]) {
      const w = new Writer(sizeInt64(v))
      w.int64(v)
      const r = new Reader(w.finish())
      assert.equal(r.int64(), v)
      assert.equal(r.pos, r.len)
    }
  })

  it('refuses int64 numbers beyond ±(2^53-1) naming the field, never rounding them', () => {
    /** A RangeRequest whose revision (field 4) holds the 64-bit two's complement of `v`. */
    const withRevision = (v: bigint) => {
      const u = BigInt.asUintN(64, v)
      const w = new Writer(1 + sizeBigVarint(u))
      w.byte(4 << 3)
      w.bigVarint(u)
      return w.finish()
    }
    for (const v of [2n ** 53n + 1n, 2n ** 53n, 2n ** 63n - 1n, -(2n ** 53n), -(2n ** 53n) - 1n, -(2n ** 63n)]) {
      assert.throws(
        () => decodeRangeRequest(withRevision(v)),
        (err: unknown) => {
          assert.ok(err instanceof Int64RangeError)
          assert.equal(err.field, 'revision')
          assert.equal(err.value, v)
          assert.equal(
            err.message,
            `revision ${v} is out of range: tsetcd represents 64-bit integers exactly only within ±(2^53-1) (9007199254740991)`,
          )
          return true
        },
        String(v),
      )
    }
    for (const v of [2n ** 53n - 1n, -(2n ** 53n) + 1n, -1n, -5n, 0n, 2n ** 32n])
      assert.equal(decodeRangeRequest(withRevision(v)).revision, Number(v))
  })

  it('round-trips 64-bit IDs as bigint', () => {
    const edges = [0, 7, 14, 21, 28, 35, 42, 49, 56, 63].flatMap((b) => [2n ** BigInt(b) - 1n, 2n ** BigInt(b)])
    for (const v of [0n, 1n, 0x694d7a5ab5fbac0bn, 0xffffffffffffffffn, 2n ** 63n, ...edges]) {
      const w = new Writer(sizeBigVarint(v))
      w.bigVarint(v)
      assert.equal(new Reader(w.finish()).bigUint64(), v)
    }
    assert.equal(new Reader(encodeNegOne()).bigInt64(), -1n)
  })

  it('64-bit values seen again (IDs of every header, both directions) come out the same, signed or not', () => {
    // Each value goes out and comes back several times, mixed with others, as member and
    // cluster IDs do; a value written signed reads back unsigned as uint64, signed as int64.
    const values = [0x694d7a5ab5fbac0bn, -1n, 0xffffffffffffffffn, -(2n ** 62n), 2n ** 63n, 0x10000n, 0xffffn]
    for (let round = 0; round < 5; round++) {
      for (const v of values) {
        const w = new Writer(sizeBigVarint(v))
        w.bigVarint(v)
        const bytes = w.finish()
        assert.equal(sizeBigVarint(v), bytes.length)
        assert.equal(new Reader(bytes).bigUint64(), BigInt.asUintN(64, v))
        assert.equal(new Reader(bytes).bigInt64(), BigInt.asIntN(64, v))
      }
    }
  })

  it('encodes byte for byte what protobufjs encodes from the same .proto', () => {
    const root = new protobuf.Root()
    root.resolvePath = (_o, target) => (path.isAbsolute(target) ? target : path.join(protoDir, target))
    root.loadSync([path.join(protoDir, 'etcdserverpb/rpc.proto')], { keepCase: true })
    const Header = root.lookupType('etcdserverpb.ResponseHeader')
    const ref = Header.encode(
      Header.fromObject({
        cluster_id: '14841639068965178418',
        member_id: '10276657743932975437',
        revision: 7,
        raft_term: 2,
      }),
    ).finish()
    const buf = encodeResponseHeader({
      cluster_id: 14841639068965178418n,
      member_id: 10276657743932975437n,
      revision: 7,
      raft_term: 2n,
    })
    assert.equal(buf.toString('hex'), Buffer.from(ref).toString('hex'))
    const h = decodeResponseHeader(buf)
    assert.equal(h.cluster_id, 14841639068965178418n)
    assert.equal(h.member_id, 10276657743932975437n)
    assert.equal(h.revision, 7)
    assert.equal(h.raft_term, 2n)

    const Range = root.lookupType('etcdserverpb.RangeRequest')
    const req = {
      key: Buffer.from('foo'),
      range_end: Buffer.from('fop'),
      limit: 10,
      revision: 3,
      sort_order: 2,
      sort_target: 4,
      keys_only: true,
      max_create_revision: 2 ** 40,
    }
    assert.equal(
      encodeRangeRequest(req).toString('hex'),
      Buffer.from(Range.encode(Range.fromObject(req)).finish()).toString('hex'),
    )
  })

  it('round-trips nested messages, oneofs and packed enums', () => {
    const txn = {
      compare: [
        { result: 3, target: 3, key: Buffer.from('k'), value: Buffer.from('v') },
        { key: Buffer.from('a'), version: 0 },
      ],
      success: [{ request_put: { key: Buffer.from('k'), value: Buffer.from('x'), lease: 0x694d7a5ab5fbac0bn } }],
      failure: [{ request_range: { key: Buffer.from('k'), range_end: Buffer.from([0]), limit: 5 } }],
    }
    const back = decodeTxnRequest(encodeTxnRequest(txn))
    assert.equal(back.compare[0].result, 3)
    assert.equal(back.compare[0].value!.toString(), 'v')
    assert.equal(back.compare[1].version, 0, 'a oneof member set to its default is still present')
    assert.equal(back.success[0].request_put!.lease, 0x694d7a5ab5fbac0bn)
    assert.deepEqual([...back.failure[0].request_range!.range_end], [0])
    const wc = decodeWatchCreateRequest(
      encodeWatchCreateRequest({ key: Buffer.from('a'), filters: [0, 1], watch_id: 7 }),
    )
    assert.deepEqual(wc.filters, [0, 1])
    assert.equal(wc.watch_id, 7)
  })

  it('decodes defaults for absent fields and skips unknown fields', () => {
    const kv = decodeKeyValue(encodeKeyValue({ key: Buffer.from('foo') }))
    assert.equal(kv.key.toString(), 'foo')
    assert.equal(kv.value.length, 0)
    assert.equal(kv.lease, 0n)
    // field 99 (varint) and field 100 (bytes, length 2) before and after known fields: unknown to RangeRequest
    const unknown = Buffer.from([0x98, 0x06, 0x01, 0xa2, 0x06, 0x02, 0x61, 0x62])
    const buf = Buffer.concat([unknown, encodeRangeRequest({ key: Buffer.from('x'), limit: 3 }), unknown])
    const rr = decodeRangeRequest(buf)
    assert.equal(rr.limit, 3)
    assert.equal(rr.key.toString(), 'x')
  })

  it('rejects truncated input', () => {
    const buf = encodeKeyValue({ key: Buffer.from('foo'), value: Buffer.from('bar') })
    assert.throws(() => decodeKeyValue(buf.subarray(0, buf.length - 1)), RangeError)
  })
})

const protoDir = path.resolve(process.cwd(), 'proto')

function encodeNegOne(): Buffer {
  const w = new Writer(10)
  w.int64(-1)
  return w.finish()
}
