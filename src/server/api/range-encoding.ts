/**
 * The Range response encoder: as the generated one, except that a result carrying encoded
 * KeyValues (RangeResultInit.encodedKvs, a large range) has them copied into the response as
 * they are, with the same bytes the generated encoder would write for them decoded.
 */
import { encodeRangeResponse, KVService, sizeRangeResponse, writeRangeResponse } from '../../gen/etcdserverpb.js'
import { sizeBytes, Writer } from '../../proto/wire.js'
import type { RangeResultInit } from '../etcdserver/core.js'

/** Tag of RangeResponse.kvs (field 2, length-delimited). */
const KVS_TAG = 18

export function encodeRangeResult(m: RangeResultInit): Buffer {
  const encoded = m.encodedKvs
  if (encoded === undefined) return encodeRangeResponse(m)
  const head = { header: m.header }
  const tail = { more: m.more, count: m.count }
  let size = sizeRangeResponse(head) + sizeRangeResponse(tail)
  for (const kv of encoded) size += 1 + sizeBytes(kv)
  const w = new Writer(size)
  writeRangeResponse(w, head)
  for (const kv of encoded) {
    w.varint(KVS_TAG)
    w.bytes(kv)
  }
  writeRangeResponse(w, tail)
  return w.finish()
}

/** The KV service's method table with Range answered through encodeRangeResult (gRPC and the JSON gateway). */
export const KVServiceEncodedRange = {
  ...KVService,
  Range: { ...KVService.Range, responseSerialize: encodeRangeResult },
}
