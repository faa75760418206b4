/**
 * The hash of the key space at a revision (etcd's kvstore.HashByRev, behind Maintenance.HashKV
 * and the corruption checks): a CRC-32 over the key bucket's records whose revision is at most
 * `rev`, once compaction has removed what it removes. Every member that applied the same
 * history and compactions gets the same hash for the same revision. (The records are tsetcd's,
 * not bbolt's, so the number differs from what etcd computes for the same data.)
 */
import { crc32 } from 'node:zlib'
import { Errors } from '../../errors/rpctypes.js'
import { Bucket } from '../backend/buckets.js'
import { readUint64BE } from './revision.js'
import type { MvccStore } from './store.js'

export interface KvHash {
  hash: number
  /** The revision hashed (the current one when 0 was asked). */
  revision: number
  compactRevision: number
}

const KEY_BUCKET_NAME = Buffer.from('key')

export async function hashByRev(store: MvccStore, rev: number): Promise<KvHash> {
  const current = store.currentRevision
  if (rev > current) throw Errors.FutureRev
  // Records below the compaction revision are hashed once compaction has removed its share.
  await store.compactionIdle()
  const compactRevision = store.compactRevision
  if (rev > 0 && rev <= compactRevision) throw Errors.Compacted
  const upto = rev === 0 ? current : rev
  let hash = crc32(KEY_BUCKET_NAME)
  const gte = Buffer.from([Bucket.Key])
  const lt = Buffer.from([Bucket.Key + 1])
  for await (const chunk of store.backend.iterate(gte, lt)) {
    for (const [k, v] of chunk) {
      if (readUint64BE(k, 1) > upto) return { hash, revision: upto, compactRevision }
      hash = crc32(v, crc32(k.subarray(1), hash))
    }
  }
  return { hash, revision: upto, compactRevision }
}
