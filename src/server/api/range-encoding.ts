/**
 * The Range response encoder: as the generated one, except that a result carrying encoded
 * KeyValues (RangeResultInit.kvsFields, a large range) has them copied into the response as
 * they are, with the same bytes the generated encoder would write for them decoded. The gRPC
 * server has it leave room for the message's prefix before the response (a large answer is
 * then not copied again to be framed).
 */
import { encodeRangeResponse, KVService, sizeRangeResponse, writeRangeResponse } from '../../gen/etcdserverpb.js'
import { Writer } from '../../proto/wire.js'
import type { RangeResultInit } from '../etcdserver/core.js'

export function encodeRangeResult(m: RangeResultInit, room = 0): Buffer {
  const fields = m.kvsFields
  if (fields === undefined) {
    if (room === 0) return encodeRangeResponse(m)
    const w = new Writer(sizeRangeResponse(m), room)
    writeRangeResponse(w, m)
    return w.finish()
  }
  const head = { header: m.header }
  const tail = { more: m.more, count: m.count }
  let size = sizeRangeResponse(head) + sizeRangeResponse(tail)
  for (const f of fields) size += f.length
  const w = new Writer(size, room)
  writeRangeResponse(w, head)
  for (const f of fields) w.raw(f)
  writeRangeResponse(w, tail)
  return w.finish()
}

/** The KV service's method table with Range answered through encodeRangeResult (gRPC and the JSON gateway). */
export const KVServiceEncodedRange = {
  ...KVService,
  Range: {
    ...KVService.Range,
    responseSerialize: encodeRangeResult,
    responseSerializeWithRoom: encodeRangeResult,
  },
}
