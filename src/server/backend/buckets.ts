/**
 * Buckets: the first byte of every backend key names the bucket it belongs to, so that
 * every module's records live in one RocksDB and are written in one batch per apply.
 *
 *   0x01 key     MVCC records: revision (17 bytes, +'t' for tombstones) → mvccpb.KeyValue
 *   0x02 meta    consistent index, term, current revision, compaction revisions
 *   0x03 lease   reserved for the lessor
 *   0x04 auth    etcd's auth buckets, one letter each: 'a' + auth key (enabled, authRevision),
 *                'u' + user name → authpb.User, 'r' + role name → authpb.Role (written by
 *                snapshot restore; no auth store reads them yet)
 *   0x05 members membership (src/server/membership/store.ts)
 *   0x06 alarm   etcdserverpb.AlarmMember (the key, as etcd's alarm bucket) → empty
 */
export const Bucket = {
  Key: 0x01,
  Meta: 0x02,
  Lease: 0x03,
  Auth: 0x04,
  Members: 0x05,
  Alarm: 0x06,
} as const

/** `bucket` byte followed by `name`. */
export function bucketKey(bucket: number, name: Buffer | string): Buffer {
  const n = typeof name === 'string' ? Buffer.from(name) : name
  const out = Buffer.allocUnsafe(1 + n.length)
  out[0] = bucket
  n.copy(out, 1)
  return out
}

/** [gte, lt) bounds covering every key of `bucket`. */
export function bucketBounds(bucket: number): [gte: Buffer, lt: Buffer] {
  return [Buffer.from([bucket]), Buffer.from([bucket + 1])]
}
