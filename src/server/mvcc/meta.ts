/**
 * The meta bucket: single values the store persists beside the key records, each an
 * 8-byte big-endian unsigned integer.
 *
 *   consistent_index        raft index of the last applied entry (written with its data)
 *   term                    raft term of that entry
 *   current_revision        store revision after the last committed batch
 *   scheduled_compact_rev   compaction revision accepted (index compacted at once)
 *   finished_compact_rev    compaction revision whose old records are physically gone
 *
 * readMeta() gives 0 for an absent value, except for the two compaction revisions: -1 when
 * absent (no compaction yet), since a compaction at revision 0 is valid (as in etcd).
 */
import type { Backend, BackendWriteBatch } from '../backend/backend.js'
import { Bucket, bucketKey } from '../backend/buckets.js'
import { readUint64BE, writeUint64BE } from './revision.js'

export const MetaKey = {
  consistentIndex: bucketKey(Bucket.Meta, 'consistent_index'),
  term: bucketKey(Bucket.Meta, 'term'),
  currentRevision: bucketKey(Bucket.Meta, 'current_revision'),
  scheduledCompact: bucketKey(Bucket.Meta, 'scheduled_compact_rev'),
  finishedCompact: bucketKey(Bucket.Meta, 'finished_compact_rev'),
} as const

export interface MetaValues {
  consistentIndex: number
  term: number
  currentRevision: number
  /** -1 when never written. */
  scheduledCompact: number
  /** -1 when never written. */
  finishedCompact: number
}

export function encodeMetaNumber(n: number): Buffer {
  const b = Buffer.allocUnsafe(8)
  writeUint64BE(b, 0, n)
  return b
}

export function putMeta(batch: BackendWriteBatch, key: Buffer, n: number): void {
  batch.put(key, encodeMetaNumber(n))
}

export function readMeta(backend: Backend): MetaValues {
  const names = Object.keys(MetaKey) as (keyof typeof MetaKey)[]
  const values = backend.getSync(names.map((n) => MetaKey[n]))
  const out: MetaValues = { consistentIndex: 0, term: 0, currentRevision: 0, scheduledCompact: -1, finishedCompact: -1 }
  names.forEach((n, i) => {
    const v = values[i]
    if (v !== undefined && v.length === 8) out[n] = readUint64BE(v, 0)
  })
  return out
}
