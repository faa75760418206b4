import assert from 'node:assert/strict'
import * as grpc from '@grpc/grpc-js'
import { Writer, sizeBigVarint } from '../../src/proto/wire.js'
import { removeDir, startTsetcd, type ServerProc } from '../helpers/procs.js'

/** A RangeRequest for key "k" whose revision (field 4) holds the 64-bit two's complement of `v`. */
function rangeAt(v: bigint): Buffer {
  const u = BigInt.asUintN(64, v)
  const w = new Writer(3 + 1 + sizeBigVarint(u))
  w.byte((1 << 3) | 2)
  w.byte(1)
  w.byte(0x6b)
  w.byte(4 << 3)
  w.bigVarint(u)
  return w.finish()
}

function call(endpoint: string, method: string, body: Buffer): Promise<{ err?: grpc.ServiceError; res?: Buffer }> {
  const client = new grpc.Client(endpoint, grpc.credentials.createInsecure())
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      (err, res) => {
        client.close()
        resolve({ err: err ?? undefined, res })
      },
    )
  })
}

describe('int64 request fields beyond 2^53', function () {
  this.timeout(60000)
  let s: ServerProc
  before(async () => {
    s = await startTsetcd()
  })
  after(async () => {
    await s.kill9()
    removeDir(s.dataDir)
  })

  it('are refused with InvalidArgument naming the field, not rounded', async () => {
    const r = await call(s.endpoint, '/etcdserverpb.KV/Range', rangeAt(2n ** 53n + 1n))
    assert.equal(r.err?.code, grpc.status.INVALID_ARGUMENT)
    assert.equal(
      r.err?.details,
      'etcdserver: revision 9007199254740993 is out of range: tsetcd represents 64-bit integers exactly only within ±(2^53-1) (9007199254740991)',
    )
    const neg = await call(s.endpoint, '/etcdserverpb.KV/Range', rangeAt(-(2n ** 60n)))
    assert.equal(neg.err?.code, grpc.status.INVALID_ARGUMENT)
    assert.match(neg.err!.details, /^etcdserver: revision -1152921504606846976 is out of range/)
    const ok = await call(s.endpoint, '/etcdserverpb.KV/Range', rangeAt(0n))
    assert.equal(ok.err, undefined)
  })
})
