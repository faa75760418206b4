/**
 * Brings a member's raft state up from disk, or creates it for a new member:
 *  - new: a WAL holding the bootstrap entries (the initial members as conf changes), or an
 *    empty one for a member joining a running cluster;
 *  - existing: the newest raft snapshot that the WAL has a marker for (a snapshot file
 *    saved just before a crash, without its marker, is passed over, as etcd does), then
 *    every WAL record after it (a torn tail is repaired and reported).
 * Returns the raft storage to start the Raft core from.
 */
import path from 'node:path'
import { mkdirDurable, nodeFs } from '../wal/fs.js'
import { MemoryStorage, bootstrapLog, type Entry } from '../../raft/index.js'
import { Wal, walExists, type WalEntry } from '../wal/index.js'
import { Snapshotter, type RaftSnapshot } from '../snap/index.js'
import type { Logger } from '../log.js'

export interface RaftDisk {
  wal: Wal
  snapshotter: Snapshotter
  storage: MemoryStorage
  /** Index of the raft snapshot the log starts after (0 for none). */
  snapshotIndex: number
  /** Term of that snapshot (0 for none). */
  snapshotTerm: number
  /** True when this start created the member's raft state. */
  created: boolean
}

export interface RaftDiskOptions {
  dataDir: string
  walDir?: string
  memberId: bigint
  clusterId: bigint
  /**
   * A new member of a new cluster: the initial voters, each added with `context` (the member
   * as the member store takes it). Undefined for a member joining a running cluster: its log
   * starts empty and comes from the leader. Ignored on restart.
   */
  bootstrap?: { voters: bigint[]; context?: (id: bigint) => Uint8Array | undefined }
  logger: Logger
  /** WAL segment size (default: the WAL's, 64 MiB). */
  segmentBytes?: number
  /** --unsafe-no-fsync: write the WAL and snapshot files without fsync. */
  unsafeNoFsync?: boolean
}

export function walDirOf(dataDir: string, walDir?: string): string {
  return walDir || path.join(dataDir, 'member', 'wal')
}

export function snapDirOf(dataDir: string): string {
  return path.join(dataDir, 'member', 'snap')
}

/** WAL metadata: which member and cluster this log belongs to. */
function encodeMetadata(memberId: bigint, clusterId: bigint): Uint8Array {
  const b = Buffer.alloc(16)
  b.writeBigUInt64BE(memberId, 0)
  b.writeBigUInt64BE(clusterId, 8)
  return b
}

function decodeMetadata(m: Uint8Array): { memberId: bigint; clusterId: bigint } {
  const b = Buffer.from(m.buffer, m.byteOffset, m.byteLength)
  return { memberId: b.readBigUInt64BE(0), clusterId: b.readBigUInt64BE(8) }
}

function fromWal(e: WalEntry): Entry {
  const type = e.type === 1 || e.type === 'confChange' ? 'confChange' : 'normal'
  return { term: e.term, index: e.index, type, data: e.data }
}

export async function openRaftDisk(o: RaftDiskOptions): Promise<RaftDisk> {
  const walDir = walDirOf(o.dataDir, o.walDir)
  const snapDir = snapDirOf(o.dataDir)
  await mkdirDurable(nodeFs, path.resolve(snapDir))
  const snapshotter = new Snapshotter(snapDir, {
    unsafeNoFsync: o.unsafeNoFsync,
    onBroken: (file) => o.logger.warn('found broken snapshot file; renamed it', { file }),
  })
  await snapshotter.removeTemporaries()
  const storage = new MemoryStorage()
  const walOpts = {
    unsafeNoFsync: o.unsafeNoFsync,
    logger: o.logger.named('wal'),
    ...(o.segmentBytes !== undefined ? { segmentSize: o.segmentBytes } : {}),
  }

  if (!(await walExists(walDir))) {
    await mkdirDurable(nodeFs, path.resolve(path.dirname(walDir)))
    const wal = await Wal.create(walDir, encodeMetadata(o.memberId, o.clusterId), walOpts)
    if (o.bootstrap !== undefined) {
      const boot = bootstrapLog(o.bootstrap.voters, [], o.bootstrap.context)
      await wal.save(boot.hardState, boot.entries)
      storage.append(boot.entries)
      storage.setHardState(boot.hardState)
    }
    return { wal, snapshotter, storage, snapshotIndex: 0, snapshotTerm: 0, created: true }
  }

  // The newest snapshot file the WAL has a valid marker for; the WAL is read once for both.
  let snap: RaftSnapshot | undefined
  const opened = await Wal.open(
    walDir,
    async (markers) => {
      snap = await snapshotter.loadNewestAvailable(markers)
      return snapshotAt(snap)
    },
    walOpts,
  )
  const at = snapshotAt(snap)
  if (opened.repair) {
    o.logger.warn('repaired torn WAL tail', {
      file: opened.repair.file,
      offset: opened.repair.offset,
      'discarded-bytes': opened.repair.discardedBytes,
      reason: opened.repair.reason,
    })
  }
  const meta = decodeMetadata(opened.metadata)
  if (meta.memberId !== o.memberId || meta.clusterId !== o.clusterId) {
    await opened.wal.close()
    throw new Error(
      `WAL in ${walDir} belongs to member ${meta.memberId.toString(16)} of cluster ${meta.clusterId.toString(16)}, not member ${o.memberId.toString(16)} of cluster ${o.clusterId.toString(16)}`,
    )
  }
  if (snap) storage.applySnapshot({ metadata: snap.metadata, data: snap.data })
  // Recovered entries view the segment buffers they were read from, which hold little but
  // entries: kept as they are (copying up to --snapshot-count entries doubled the restart's
  // garbage collection). Entries appended from now on are copied (entry-slab.ts).
  if (opened.entries.length > 0) storage.append(opened.entries.map(fromWal))
  storage.setHardState(opened.hardState)
  return { wal: opened.wal, snapshotter, storage, snapshotIndex: at.index, snapshotTerm: at.term, created: false }
}

export interface RestoredRaftDiskOptions {
  dataDir: string
  walDir?: string
  memberId: bigint
  clusterId: bigint
  /** The configuration the member starts with. */
  voters: bigint[]
  /** Raft index and term the database is at (a restored member: the number of members, term 1). */
  index: number
  term: number
}

/**
 * The raft state of a member restored from a backup (etcd's snapshot restore): a raft
 * snapshot at `index`/`term` holding the configuration, and a new WAL whose first records
 * are that snapshot's marker and a hard state committed to it. Started, the member's log
 * begins after the snapshot, as if it had applied the first `index` entries; its database
 * must hold consistent index `index`. The WAL directory must not exist yet.
 */
export async function createRestoredRaftDisk(o: RestoredRaftDiskOptions): Promise<void> {
  const walDir = walDirOf(o.dataDir, o.walDir)
  const snapDir = snapDirOf(o.dataDir)
  await mkdirDurable(nodeFs, path.resolve(snapDir))
  await new Snapshotter(snapDir).save({
    metadata: { index: o.index, term: o.term, confState: { voters: [...o.voters], learners: [] } },
    data: new Uint8Array(0),
  })
  await mkdirDurable(nodeFs, path.resolve(path.dirname(walDir)))
  const wal = await Wal.create(walDir, encodeMetadata(o.memberId, o.clusterId))
  try {
    await wal.saveSnapshot({ index: o.index, term: o.term }, { term: o.term, vote: 0n, commit: o.index })
  } finally {
    await wal.close()
  }
}

/** The WAL position of a snapshot (the zero one for none). */
function snapshotAt(snap: RaftSnapshot | undefined): { index: number; term: number } {
  return snap ? { index: snap.metadata.index, term: snap.metadata.term } : { index: 0, term: 0 }
}
