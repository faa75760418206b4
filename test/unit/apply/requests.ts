/** Requests for applier tests, built the way the server gets them: decoded from the wire. */
import {
  decodeCompactionRequest,
  decodeDeleteRangeRequest,
  decodePutRequest,
  decodeRangeRequest,
  decodeTxnRequest,
  encodeCompactionRequest,
  encodeDeleteRangeRequest,
  encodePutRequest,
  encodeRangeRequest,
  encodeTxnRequest,
  type CompactionRequest,
  type DeleteRangeRequest,
  type DeleteRangeRequestInit,
  type PutRequest,
  type PutRequestInit,
  type RangeRequest,
  type RangeRequestInit,
  type TxnRequest,
  type TxnRequestInit,
} from '../../../src/gen/etcdserverpb.js'
import { MemoryBackend } from '../../../src/server/backend/memory-backend.js'
import { MvccStore } from '../../../src/server/mvcc/store.js'

export const b = (s: string): Buffer => Buffer.from(s)

export const putReq = (m: PutRequestInit): PutRequest => decodePutRequest(encodePutRequest(m))
export const rangeReq = (m: RangeRequestInit): RangeRequest => decodeRangeRequest(encodeRangeRequest(m))
export const delReq = (m: DeleteRangeRequestInit): DeleteRangeRequest =>
  decodeDeleteRangeRequest(encodeDeleteRangeRequest(m))
export const txnReq = (m: TxnRequestInit): TxnRequest => decodeTxnRequest(encodeTxnRequest(m))
export const compactReq = (revision: number, physical = false): CompactionRequest =>
  decodeCompactionRequest(encodeCompactionRequest({ revision, physical }))

export function memoryStore(): Promise<MvccStore> {
  return MvccStore.open(new MemoryBackend())
}

/** Runs fn in a batch of its own and commits it. */
export function inBatch<T>(store: MvccStore, fn: (batch: ReturnType<MvccStore['beginBatch']>) => T): T {
  const batch = store.beginBatch()
  try {
    return fn(batch)
  } finally {
    batch.commit()
  }
}
