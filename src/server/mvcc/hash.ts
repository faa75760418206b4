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
import { MetaKey } from './meta.js'

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

export interface BackendHash {
  hash: number
  /** The store revision of the contents hashed (from the meta bucket read with them). */
  revision: number
}

/**
 * Maintenance.Hash: a CRC-32 (IEEE) over every record of the backend, in key order — the
 * bucket byte, the rest of the key, then the value, for each record — read through one
 * iterator, so from one point-in-time view of the database. The revision returned is the
 * meta bucket's current revision in that same view. Background compaction is let finish
 * first, so members that applied the same entries (the same applied index) hash the same
 * contents: the key records, the meta values (applied index and term among them), leases
 * and the member store. (etcd hashes its bbolt buckets instead; the numbers differ.)
 */
export async function hashBackend(store: MvccStore): Promise<BackendHash> {
  await store.compactionIdle()
  let hash = 0
  let revision: number | undefined
  const revisionKey = MetaKey.currentRevision
  for await (const chunk of store.backend.iterate(Buffer.from([0x00]), Buffer.from([0xff]), { pointInTime: true })) {
    for (const [k, v] of chunk) {
      hash = crc32(v, crc32(k, hash))
      if (revision === undefined && v.length === 8 && k.equals(revisionKey)) revision = readUint64BE(v, 0)
    }
  }
  return { hash, revision: revision ?? store.currentRevision }
}
