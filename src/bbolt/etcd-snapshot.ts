/**
 * etcd's snapshot file, seen through bbolt: what `etcdctl snapshot status` reports (hash,
 * revision, total keys, total size — clientv3/snapshot v3Manager.Status), and writing a
 * snapshot in etcd's bucket layout, with the sha256 trailer etcdctl snapshot save leaves.
 */
import { checkBolt } from './check.js'
import { Crc32c } from './crc32c.js'
import { BoltReader, type OpenOptions } from './reader.js'
import { appendTrailer } from './trailer.js'
import { writeBolt, type BucketsInput, type KeyValue, type WriteOptions, type WriteResult } from './writer.js'
import { encodeKeyValue, parseRevisionKey, revisionKey } from './mvcc-record.js'

/** The buckets an etcd 3.4 backend holds. */
export const ETCD_BUCKETS = [
  'alarm',
  'auth',
  'authRoles',
  'authUsers',
  'cluster',
  'key',
  'lease',
  'members',
  'members_removed',
  'meta',
] as const

/** What `etcdctl snapshot status -w json` prints, with the same field names. */
export interface SnapshotStatus {
  hash: number
  revision: number
  totalKey: number
  totalSize: number
}

/**
 * etcd's status of an open database: a CRC-32C over every bucket name and every key and value
 * of each bucket (in order), the main revision of the last key of the `key` bucket, the number
 * of entries over all buckets, and bbolt's size (high-water mark × page size). bbolt's
 * consistency check runs first; a failure is etcd's error
 * `snapshot file integrity check failed. N errors found.` followed by the problems.
 */
export function snapshotStatus(db: BoltReader): SnapshotStatus {
  const problems = checkBolt(db)
  if (problems.length > 0) {
    throw new Error(`snapshot file integrity check failed. ${problems.length} errors found.\n` + problems.join('\n'))
  }
  const h = new Crc32c()
  let revision = 0n
  let totalKey = 0
  for (const top of db.root().entries()) {
    if (!top.bucket) throw new Error(`cannot get hash of bucket ${top.key.toString()}`)
    h.update(top.key)
    const isKey = top.key.toString() === 'key'
    const b = db.bucket(top.key)!
    for (const e of b.entries()) {
      h.update(e.key)
      // bbolt's ForEach gives a nested bucket's value as nil: nothing to hash.
      if (!e.bucket) h.update(e.value)
      if (isKey) revision = parseRevisionKey(e.key).main
      totalKey++
    }
  }
  return { hash: h.digest(), revision: Number(revision), totalKey, totalSize: db.size }
}

/**
 * The status of a snapshot or db file. Like etcdctl snapshot status, it does not check the
 * sha256 trailer unless asked to (`verifyTrailer: true`).
 */
export function snapshotStatusOfFile(path: string, opts: OpenOptions = {}): SnapshotStatus {
  const db = BoltReader.open(path, { verifyTrailer: false, ...opts })
  try {
    return snapshotStatus(db)
  } finally {
    db.close()
  }
}

/** One key revision for the `key` bucket. Records must come in revision order. */
export interface MvccRecord {
  main: bigint | number
  sub?: bigint | number
  /** A deletion: the value holds only the key (as etcd writes tombstones). */
  tombstone?: boolean
  key: Buffer | string
  value?: Buffer | string
  createRevision?: bigint | number
  version?: bigint | number
  lease?: bigint | number
}

export interface EtcdSnapshotInput {
  records: Iterable<MvccRecord>
  /** meta/consistent_index: the raft index the data reflects. */
  consistentIndex?: bigint | number
  /** cluster/clusterVersion (default "3.4.0"). */
  clusterVersion?: string
  /** Entries of other buckets (sorted by key); they replace the defaults for that bucket. */
  buckets?: Record<string, Iterable<KeyValue>>
}

function* keyBucket(records: Iterable<MvccRecord>): Generator<KeyValue> {
  for (const r of records) {
    const value = r.tombstone
      ? encodeKeyValue({ key: r.key })
      : encodeKeyValue({
          key: r.key,
          value: r.value,
          createRevision: r.createRevision ?? r.main,
          modRevision: r.main,
          version: r.version ?? 1,
          lease: r.lease,
        })
    yield [revisionKey(r.main, r.sub ?? 0, r.tombstone ?? false), value]
  }
}

function u64be(v: bigint | number): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(v))
  return b
}

/** etcd's buckets for a snapshot holding the given records. */
export function etcdSnapshotBuckets(input: EtcdSnapshotInput): BucketsInput {
  const defaults: Record<string, Iterable<KeyValue>> = {
    auth: [[Buffer.from('authRevision'), u64be(1)]],
    cluster: [[Buffer.from('clusterVersion'), Buffer.from(input.clusterVersion ?? '3.4.0')]],
    key: keyBucket(input.records),
    meta: [[Buffer.from('consistent_index'), u64be(input.consistentIndex ?? 0)]],
  }
  const out: [string, Iterable<KeyValue>][] = []
  const names = new Set<string>([...ETCD_BUCKETS, ...Object.keys(input.buckets ?? {})])
  for (const name of names) out.push([name, input.buckets?.[name] ?? defaults[name] ?? []])
  return out
}

/** Writes an etcd snapshot file: a bbolt file in etcd's layout followed by its sha256. */
export function writeEtcdSnapshot(
  path: string,
  input: EtcdSnapshotInput,
  opts: WriteOptions = {},
): WriteResult & { sha256: Buffer } {
  const result = writeBolt(path, etcdSnapshotBuckets(input), opts)
  return { ...result, sha256: appendTrailer(path) }
}
