/**
 * Buckets: the first byte of every backend key names the bucket it belongs to, so that
 * every module's records live in one RocksDB and are written in one batch per apply.
 *
 *   0x01 key     MVCC records: revision (17 bytes, +'t' for tombstones) → mvccpb.KeyValue
 *   0x02 meta    consistent index, term, current revision, compaction revisions
 *   0x03 lease   reserved for the lessor
 *   0x04 auth    etcd's three auth buckets, as <bucket name> \0 <key>: auth\0authEnabled,
 *                auth\0authRevision, authUsers\0<name> → authpb.User, authRoles\0<name> →
 *                authpb.Role (src/server/auth/store.ts)
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

/** etcd's auth buckets, kept under Bucket.Auth. */
export const AUTH_BUCKETS = ['auth', 'authUsers', 'authRoles'] as const

/** The backend key of `key` in etcd's auth bucket `bucket`: Bucket.Auth, the name, \0, the key. */
export function authRecordKey(bucket: string, key: string | Buffer): Buffer {
  return bucketKey(Bucket.Auth, Buffer.concat([Buffer.from(bucket), Buffer.from([0]), Buffer.from(key)]))
}

/** The etcd bucket and key of an auth record's backend key; undefined if it is not one. */
export function parseAuthRecordKey(k: Buffer): { bucket: string; key: Buffer } | undefined {
  const sep = k.indexOf(0, 1)
  if (k[0] !== Bucket.Auth || sep < 0) return undefined
  return { bucket: k.subarray(1, sep).toString('latin1'), key: k.subarray(sep + 1) }
}
