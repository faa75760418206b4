/**
 * etcd's backend (a bbolt file: a member's db or an `etcdctl snapshot save` file) copied into
 * tsetcd's backend, bucket by bucket, in etcd's encodings:
 *
 *   key       revision (8 bytes main, '_', 8 bytes sub [, 't']) → mvccpb.KeyValue: the same
 *             bytes as our key records, behind the key bucket's prefix
 *   meta      scheduledCompactRev / finishedCompactRev (a 17-byte revision) → our compaction
 *             revisions; consistent_index, term and confState belong to the old cluster and
 *             are set by the caller for the new one
 *   lease     lease ID (8 bytes big-endian) → leasepb.Lease {ID, TTL, RemainingTTL}
 *   alarm     pb.AlarmMember (as the key) → empty
 *   auth, authUsers, authRoles: copied as they are (see auth records in backend/buckets.ts)
 *   members, members_removed, cluster: the old cluster's; dropped (the restored member gets
 *             the membership its flags name)
 *
 * Entries are read page by page and written in bounded batches, so a large file is never
 * held in memory.
 */
import { BoltReader, type Bucket as BoltBucket } from '../../bbolt/index.js'
import type { Backend, BackendWriteBatch } from '../backend/backend.js'
import { AUTH_BUCKETS, Bucket, authRecordKey, bucketKey } from '../backend/buckets.js'
import { MetaKey, putMeta } from '../mvcc/meta.js'
import { revKey } from '../mvcc/revision.js'
import { putLease } from '../lease/records.js'
import { Lease } from '../lease/lease.js'
import { decodeLeaseRecord } from '../../gen/tsetcdpb.js'
import type { Logger } from '../log.js'

/** Sub-buckets of the auth bucket: etcd's three auth buckets, one letter each. */

/** Buckets whose contents describe the old cluster and are not copied. */
const DROPPED = new Set(['members', 'members_removed', 'cluster'])

export interface CopyOptions {
  /** Bytes of keys and values per write batch (default 4 MiB). */
  batchBytes?: number
  log?: Logger
}

export interface CopyResult {
  /** Main revision of the last record of the key bucket (0 for none). */
  lastRevision: number
  /** Compaction revisions found in meta (-1 when absent). */
  scheduledCompact: number
  finishedCompact: number
  keyRecords: number
  leases: number
  alarms: number
  authRecords: number
}

/** A batch that writes itself out when it holds `limit` bytes. */
class Batcher {
  private batch: BackendWriteBatch
  private bytes = 0

  constructor(
    private readonly backend: Backend,
    private readonly limit: number,
  ) {
    this.batch = backend.batch()
  }

  put(k: Buffer, v: Buffer): void {
    this.batch.put(k, v)
    this.bytes += k.length + v.length + 16
    if (this.bytes >= this.limit) this.flush(false)
  }

  get current(): BackendWriteBatch {
    return this.batch
  }

  flush(sync: boolean): void {
    if (this.batch.length === 0 && !sync) return
    this.batch.write({ sync })
    this.batch = this.backend.batch()
    this.bytes = 0
  }
}

/** The main revision of etcd's 17-byte revision value (meta's compaction revisions). */
function revisionMain(v: Buffer, what: string): number {
  if (v.length < 17 || v[8] !== 0x5f) throw new Error(`meta bucket: malformed ${what} ${v.toString('hex')}`)
  return Number(v.readBigUInt64BE(0))
}

/**
 * Copies the contents of an etcd bbolt database into `backend` (which should be empty).
 * Returns what it found; the caller writes the new cluster's meta and members.
 */
export function copyBolt(db: BoltReader, backend: Backend, opts: CopyOptions = {}): CopyResult {
  const out = new Batcher(backend, opts.batchBytes ?? 4 * 1024 * 1024)
  const res: CopyResult = {
    lastRevision: 0,
    scheduledCompact: -1,
    finishedCompact: -1,
    keyRecords: 0,
    leases: 0,
    alarms: 0,
    authRecords: 0,
  }
  for (const name of db.bucketNames()) {
    const n = name.toString('latin1')
    const b: BoltBucket = db.bucket(name)!
    if (n === 'key') {
      for (const e of b.entries()) {
        const k = e.key
        const tomb = k.length === 18 && k[17] === 0x74
        if (e.bucket || !(k.length === 17 || tomb) || k[8] !== 0x5f)
          throw new Error(`key bucket: malformed revision key ${k.toString('hex')}`)
        const main = Number(k.readBigUInt64BE(0))
        out.put(revKey(main, Number(k.readBigUInt64BE(9)), tomb), e.value)
        if (main > res.lastRevision) res.lastRevision = main
        res.keyRecords++
      }
    } else if (n === 'meta') {
      const s = b.get('scheduledCompactRev')
      const f = b.get('finishedCompactRev')
      if (s !== undefined) res.scheduledCompact = revisionMain(s, 'scheduledCompactRev')
      if (f !== undefined) res.finishedCompact = revisionMain(f, 'finishedCompactRev')
    } else if (n === 'lease') {
      for (const e of b.entries()) {
        if (e.bucket || e.key.length !== 8)
          throw new Error(`lease bucket: malformed lease key ${e.key.toString('hex')}`)
        const l = decodeLeaseRecord(e.value)
        if (l.ID !== e.key.readBigInt64BE(0))
          throw new Error(`lease bucket: lease ${e.key.toString('hex')} holds lease ID ${l.ID.toString(16)}`)
        putLease(out.current, new Lease(l.ID, Number(l.TTL), Number(l.remaining_TTL)))
        res.leases++
      }
    } else if (n === 'alarm') {
      for (const e of b.entries()) {
        out.put(bucketKey(Bucket.Alarm, e.key), Buffer.alloc(0))
        res.alarms++
      }
    } else if ((AUTH_BUCKETS as readonly string[]).includes(n)) {
      for (const e of b.entries()) {
        out.put(authRecordKey(n, e.key), e.value)
        res.authRecords++
      }
    } else if (!DROPPED.has(n)) {
      opts.log?.warn('skipping a bucket etcd 3.4 does not have', { bucket: n })
    }
  }
  out.flush(true)
  return res
}

export interface NewClusterMeta {
  /** The raft index the restored database is at (etcd: the number of members). */
  consistentIndex: number
  term: number
  /** The store's revision. */
  currentRevision: number
  scheduledCompact: number
  finishedCompact: number
}

/** Writes the meta values of the restored member. */
export function writeRestoredMeta(backend: Backend, m: NewClusterMeta): void {
  const wb = backend.batch()
  putMeta(wb, MetaKey.consistentIndex, m.consistentIndex)
  putMeta(wb, MetaKey.term, m.term)
  putMeta(wb, MetaKey.currentRevision, m.currentRevision)
  if (m.scheduledCompact >= 0) putMeta(wb, MetaKey.scheduledCompact, m.scheduledCompact)
  if (m.finishedCompact >= 0) putMeta(wb, MetaKey.finishedCompact, m.finishedCompact)
  wb.write({ sync: true })
}
