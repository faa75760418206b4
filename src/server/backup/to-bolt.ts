/**
 * A member's backend as etcd's database file (what etcd's Maintenance.Snapshot sends and
 * `etcdctl snapshot restore` reads): a bbolt file with etcd 3.4's buckets and encodings.
 *
 *   ours (one RocksDB, bucket byte first)          etcd's bbolt bucket
 *   0x01 <rev 17 bytes>[t] → mvccpb.KeyValue       key: the same revision key; the same value,
 *                                                  a tombstone's value only the key
 *   0x02 consistent_index (u64 BE)                 meta/consistent_index (u64 BE)
 *   0x02 scheduled_compact_rev (u64 BE)            meta/scheduledCompactRev (revision, 17 bytes)
 *   0x02 finished_compact_rev (u64 BE)             meta/finishedCompactRev (revision, 17 bytes)
 *   0x03 <id u64 BE> → tsetcdpb.LeaseRecord        lease/<id u64 BE> → leasepb.Lease
 *   0x05 'm'<16 hex> → our member JSON             members/<hex id> → etcd's member JSON
 *   0x05 'r'<16 hex>                               members_removed/<hex id> → "removed"
 *   (not stored)                                   cluster/clusterVersion → "3.5.0"
 *   0x04 <bucket>\0<name> → as etcd's             auth/<name>, authUsers/<name>, authRoles/<name>
 *   (no auth records: auth never enabled)          auth/authRevision → 1; authUsers, authRoles empty
 *   0x06 <AlarmMember> → empty                     alarm/<AlarmMember> → empty
 *
 * The whole database is read through one backend iteration, which for RocksDB is one
 * point-in-time view taken when `backendToBolt` is called. The key bucket streams into the
 * file as it is read (memory stays bounded by a chunk and the pages not yet written); the
 * other buckets, small, are gathered and written after it.
 */
import { AsyncBoltFile, encodeKeyValue, decodeKeyValue, revisionKey, type KeyValue } from '../../bbolt/index.js'
import type { Backend, Entry } from '../backend/backend.js'
import { Bucket, parseAuthRecordKey } from '../backend/buckets.js'
import { decodeLeaseRecord } from '../../gen/tsetcdpb.js'
import { decodeMember, type Member } from '../membership/member.js'
import { API_VERSION } from '../../version.js'

const ALL_FROM = Buffer.from([0x00])
const ALL_TO = Buffer.from([0xff, 0xff, 0xff, 0xff])
const CHUNK_ENTRIES = 1000
const CHUNK_BYTES = 4 * 1024 * 1024

/** What etcd 3.x writes as the cluster version of a cluster of this release. */
export const CLUSTER_VERSION = `${API_VERSION}.0`

export interface BoltSnapshotResult {
  /** Bytes of the bbolt file. */
  size: number
  /** Main revision of the last record of the key bucket (0 when empty). */
  revision: number
  /** meta/consistent_index. */
  consistentIndex: number
  /** Entries over all buckets. */
  entries: number
}

export interface BackendToBoltOptions {
  pageSize?: number
  /** Called after each chunk is written (bytes of the file so far). */
  progress?: (bytes: number) => void
  /** Stops the conversion with this signal's reason. */
  signal?: AbortSignal
}

/**
 * Writes the backend's current state to `path` as etcd's bbolt database. The view is taken
 * synchronously, before this returns its promise; the file is fsynced when it resolves, and
 * removed by the caller on failure.
 */
export function backendToBolt(
  backend: Backend,
  path: string,
  opts: BackendToBoltOptions = {},
): Promise<BoltSnapshotResult> {
  const chunks = backend.iterate(ALL_FROM, ALL_TO, {
    chunkSize: CHUNK_ENTRIES,
    maxChunkBytes: CHUNK_BYTES,
    pointInTime: true,
  })
  const it = chunks[Symbol.asyncIterator]()
  const first = it.next()
  first.catch(() => {}) // awaited below; not an unhandled rejection meanwhile
  return convert(it, first, path, opts)
}

async function convert(
  it: AsyncIterator<Entry[]>,
  first: Promise<IteratorResult<Entry[]>>,
  path: string,
  opts: BackendToBoltOptions,
): Promise<BoltSnapshotResult> {
  let file: AsyncBoltFile | undefined
  try {
    file = await AsyncBoltFile.create(path, { pageSize: opts.pageSize })
    const rest = new Gathered()
    const keys = file.builder.bucket('key')
    let revision = 0
    let written = 0
    let pending = first
    for (let r = await pending; !r.done; r = await pending) {
      // The next chunk is read (on the thread pool) while this one is converted and written.
      pending = it.next()
      pending.catch(() => {}) // awaited next; on failure here, `it.return()` below waits for it
      opts.signal?.throwIfAborted()
      for (const [k, v] of r.value) {
        if (k[0] === Bucket.Key) {
          const rev = k.subarray(1)
          keys.add(rev, rev.length === 18 ? encodeKeyValue({ key: decodeKeyValue(v).key }) : v)
          revision = rev.readUInt32BE(0) * 2 ** 32 + rev.readUInt32BE(4)
        } else rest.add(k, v)
      }
      if (file.pendingBytes > 0) {
        written += file.pendingBytes
        await file.flush()
        opts.progress?.(written)
      }
    }
    keys.end()
    opts.signal?.throwIfAborted()
    for (const [name, entries] of rest.buckets()) {
      const b = file.builder.bucket(name)
      for (const [k, v] of entries) b.add(k, v)
      b.end()
    }
    const result = await file.finish()
    file = undefined
    return { size: result.size, revision, consistentIndex: rest.consistentIndex, entries: result.entries }
  } finally {
    await file?.abort()
    await it.return?.()
  }
}

function u64(b: Buffer): bigint {
  return b.length === 8 ? b.readBigUInt64BE(0) : 0n
}

function u64be(v: bigint): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(v)
  return b
}

/** The buckets other than `key`, converted as their entries come. */
class Gathered {
  consistentIndex = 0
  private readonly meta: KeyValue[] = []
  private readonly leases: KeyValue[] = []
  private readonly members: KeyValue[] = []
  private readonly removed: KeyValue[] = []
  private readonly alarms: KeyValue[] = []
  private readonly auth: Record<string, KeyValue[]> = { auth: [], authUsers: [], authRoles: [] }

  add(k: Buffer, v: Buffer): void {
    if (k[0] === Bucket.Meta) {
      const name = k.subarray(1).toString('latin1')
      if (name === 'consistent_index') {
        this.consistentIndex = Number(u64(v))
        this.meta.push([Buffer.from('consistent_index'), u64be(u64(v))])
      } else if (name === 'scheduled_compact_rev')
        this.meta.push([Buffer.from('scheduledCompactRev'), revisionKey(u64(v))])
      else if (name === 'finished_compact_rev') this.meta.push([Buffer.from('finishedCompactRev'), revisionKey(u64(v))])
    } else if (k[0] === Bucket.Lease) {
      const l = decodeLeaseRecord(v)
      this.leases.push([Buffer.from(k.subarray(1)), encodeLease(l.ID, l.TTL, l.remaining_TTL)])
    } else if (k[0] === Bucket.Members) {
      const kind = String.fromCharCode(k[1] ?? 0)
      const id = BigInt('0x' + k.subarray(2).toString('latin1'))
      if (kind === 'm') this.members.push([Buffer.from(id.toString(16)), etcdMemberJson(decodeMember(v))])
      else if (kind === 'r') this.removed.push([Buffer.from(id.toString(16)), Buffer.from('removed')])
    } else if (k[0] === Bucket.Alarm) {
      this.alarms.push([Buffer.from(k.subarray(1)), Buffer.alloc(0)])
    } else if (k[0] === Bucket.Auth) {
      const r = parseAuthRecordKey(k)
      if (r !== undefined) this.auth[r.bucket]?.push([Buffer.from(r.key), Buffer.from(v)])
    }
  }

  buckets(): [string, KeyValue[]][] {
    const sorted = (kvs: KeyValue[]) => kvs.sort((a, b) => Buffer.compare(a[0] as Buffer, b[0] as Buffer))
    return [
      ['alarm', sorted(this.alarms)],
      ['auth', this.auth.auth.length > 0 ? sorted(this.auth.auth) : [[Buffer.from('authRevision'), u64be(1n)]]],
      ['authRoles', sorted(this.auth.authRoles)],
      ['authUsers', sorted(this.auth.authUsers)],
      ['cluster', [[Buffer.from('clusterVersion'), Buffer.from(CLUSTER_VERSION)]]],
      ['lease', sorted(this.leases)],
      ['members', sorted(this.members)],
      ['members_removed', sorted(this.removed)],
      ['meta', sorted(this.meta)],
    ]
  }
}

function varint(out: number[], v: bigint): void {
  let x = BigInt.asUintN(64, v)
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80)
    x >>= 7n
  }
  out.push(Number(x))
}

/** leasepb.Lease: 1 ID, 2 TTL, 3 RemainingTTL (int64 varints, zero omitted). */
export function encodeLease(id: bigint, ttl: bigint | number, remainingTTL: bigint | number): Buffer {
  const out: number[] = []
  const field = (num: number, v: bigint) => {
    if (v === 0n) return
    out.push(num << 3)
    varint(out, v)
  }
  field(1, BigInt(id))
  field(2, BigInt(ttl))
  field(3, BigInt(remainingTTL))
  return Buffer.from(out)
}

/** A JSON string as Go's encoding/json writes it (HTML-safe escapes). */
function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
}

/**
 * etcd's membership.Member as json.Marshal writes it: the ID as a decimal number, then
 * RaftAttributes (peerURLs, isLearner omitted when false), then Attributes (name and
 * clientURLs, omitted when empty).
 */
export function etcdMemberJson(m: Member): Buffer {
  const list = (a: string[]) => '[' + a.map(goString).join(',') + ']'
  let s = `{"id":${m.id.toString(10)},"peerURLs":${list(m.peerURLs)}`
  if (m.isLearner) s += ',"isLearner":true'
  if (m.name !== '') s += `,"name":${goString(m.name)}`
  if (m.clientURLs.length > 0) s += `,"clientURLs":${list(m.clientURLs)}`
  return Buffer.from(s + '}')
}
