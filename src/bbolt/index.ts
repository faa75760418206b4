/** bbolt files (etcd's backend and snapshot format): read, write, and etcd's snapshot facts. */
export { BoltReader, Bucket, type Entry, type OpenOptions } from './reader.js'
export {
  writeBolt,
  buildBolt,
  DEFAULT_FILL_PERCENT,
  type BucketsInput,
  type KeyValue,
  type WriteOptions,
  type WriteResult,
} from './writer.js'
export { BoltFormatError, SnapshotHashMismatchError } from './errors.js'
export { hasChecksum, verifyTrailer, appendTrailer, SHA256_SIZE } from './trailer.js'
export {
  snapshotStatus,
  snapshotStatusOfFile,
  etcdSnapshotBuckets,
  writeEtcdSnapshot,
  ETCD_BUCKETS,
  type SnapshotStatus,
  type MvccRecord,
  type EtcdSnapshotInput,
} from './etcd-snapshot.js'
export {
  revisionKey,
  parseRevisionKey,
  encodeKeyValue,
  decodeKeyValue,
  type Revision,
  type KeyValueRecord,
} from './mvcc-record.js'
export { checkBolt, freelistIds } from './check.js'
export { BoltBuilder, BucketBuilder, type PageSink } from './writer.js'
export { AsyncBoltFile } from './async-file.js'
