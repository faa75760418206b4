/**
 * `snapshot restore`: a new member's data dir from an etcd snapshot file, as etcd's
 * snapshot restore makes it (clientv3/snapshot in 3.4, etcdutl in 3.5):
 *
 *  1. the new cluster from --name, --initial-cluster, --initial-cluster-token and
 *     --initial-advertise-peer-urls (member and cluster IDs derived as a new member's);
 *  2. the file's sha256 trailer checked (unless --skip-hash-check; a file without one needs
 *     it), then bbolt's consistency check;
 *  3. keys, leases, alarms and auth copied into a fresh database, the old membership dropped
 *     and the new one written, the consistent index set to the number of members (term 1);
 *     3.5's --bump-revision / --mark-compacted move the revision on and compact to it;
 *  4. a raft snapshot at that index holding the new configuration, and a WAL starting from it.
 *
 * Everything is built in a temporary directory beside the target and renamed into place at
 * the end: a restore that fails leaves nothing at --data-dir (or --wal-dir).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { BoltReader, checkBolt, hasChecksum } from '../../bbolt/index.js'
import { RocksBackend } from '../backend/rocks-backend.js'
import { bootstrapIdentity, writeIdentity } from '../membership/identity.js'
import { MemberStore } from '../membership/store.js'
import { createRestoredRaftDisk, snapDirOf, walDirOf } from '../raftnode/recover.js'
import { mkdirDurable, nodeFs } from '../wal/fs.js'
import type { Logger } from '../log.js'
import { copyBolt, writeRestoredMeta, type CopyResult } from './from-bolt.js'
import { goFileError } from './status.js'

export interface RestoreOptions {
  snapshotPath: string
  name: string
  /** Default: `<name>.etcd`. */
  dataDir?: string
  /** Default: `<data-dir>/member/wal`. */
  walDir?: string
  initialCluster: string
  initialClusterToken: string
  initialAdvertisePeerUrls: string[]
  skipHashCheck: boolean
  /** etcd 3.5: raise the revision by this much (0: leave it). */
  bumpRevision?: number
  /** etcd 3.5: compact at the (bumped) revision. */
  markCompacted?: boolean
  log: Logger
}

export interface RestoreResult {
  dataDir: string
  walDir: string
  memberId: bigint
  clusterId: bigint
  /** The store's revision after the restore. */
  revision: number
  copied: CopyResult
}

const URL_SCHEMES = new Set(['http:', 'https:', 'unix:', 'unixs:'])

/** etcd's types.NewURLs checks on --initial-advertise-peer-urls. */
function checkPeerUrls(urls: string[]): void {
  for (const u of urls) {
    let parsed: URL
    try {
      parsed = new URL(u)
    } catch {
      throw new Error(`parse ${JSON.stringify(u)}: invalid URI for request`)
    }
    if (!URL_SCHEMES.has(parsed.protocol)) throw new Error(`URL scheme must be http, https, unix, or unixs: ${u}`)
    if (parsed.pathname !== '/' && parsed.pathname !== '') throw new Error(`URL must not contain a path: ${u}`)
  }
}

function dirNotEmpty(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length > 0
  } catch (err) {
    // "could not be read": anything but a missing directory counts as taken
    return (err as NodeJS.ErrnoException).code !== 'ENOENT'
  }
}

function tempBeside(target: string): string {
  const abs = path.resolve(target)
  return path.join(path.dirname(abs), `.${path.basename(abs)}.restore-${crypto.randomBytes(4).toString('hex')}`)
}

async function syncDir(dir: string): Promise<void> {
  await nodeFs.syncDir(dir)
}

/** Restores `o.snapshotPath` into a new data dir; throws (with etcd's messages) and leaves nothing behind on failure. */
export async function restoreSnapshot(o: RestoreOptions): Promise<RestoreResult> {
  const log = o.log
  checkPeerUrls(o.initialAdvertisePeerUrls)
  const identity = bootstrapIdentity(o.name, o.initialCluster, o.initialClusterToken, o.initialAdvertisePeerUrls)
  const bump = o.bumpRevision ?? 0

  const dataDir = o.dataDir || `${o.name}.etcd`
  if (dirNotEmpty(dataDir)) throw new Error(`data-dir ${JSON.stringify(dataDir)} not empty or could not be read`)
  const walDir = o.walDir || walDirOf(dataDir)
  if (o.walDir && fs.existsSync(walDir)) throw new Error(`wal-dir ${JSON.stringify(walDir)} exists`)
  const snapDir = snapDirOf(dataDir)

  log.info('restoring snapshot', { path: o.snapshotPath, 'wal-dir': walDir, 'data-dir': dataDir, 'snap-dir': snapDir })

  let size: number
  try {
    size = fs.statSync(o.snapshotPath).size
  } catch (err) {
    throw goFileError('open', o.snapshotPath, err)
  }
  if (!hasChecksum(size) && !o.skipHashCheck) throw new Error('snapshot missing hash but --skip-hash-check=false')
  const db = BoltReader.open(o.snapshotPath, { verifyTrailer: !o.skipHashCheck })

  // Where the WAL goes: inside the data dir (built with it), or a directory of its own.
  const tmp = tempBeside(dataDir)
  const relWal = path.relative(path.resolve(dataDir), path.resolve(walDir))
  const walInside = relWal !== '' && !relWal.startsWith('..') && !path.isAbsolute(relWal)
  const walTmp = walInside ? path.join(tmp, relWal) : tempBeside(walDir)
  const made: string[] = []
  try {
    const problems = checkBolt(db)
    if (problems.length > 0)
      throw new Error(`snapshot file integrity check failed. ${problems.length} errors found.\n` + problems.join('\n'))

    await mkdirDurable(nodeFs, path.dirname(tmp))
    made.push(tmp)
    await mkdirDurable(nodeFs, path.join(tmp, 'member'))
    if (!walInside) {
      await mkdirDurable(nodeFs, path.dirname(walTmp))
      made.push(walTmp)
    }

    const backend = await RocksBackend.open(RocksBackend.dbDir(tmp))
    let copied: CopyResult
    let revision: number
    try {
      copied = copyBolt(db, backend, { log })
      if (copied.finishedCompact >= 0)
        log.info('restored last compact revision', {
          'meta-bucket-name': 'meta',
          'meta-bucket-name-key': 'finishedCompactRev',
          'restored-compact-revision': copied.finishedCompact,
        })
      let scheduled = copied.scheduledCompact
      revision = Math.max(copied.lastRevision, copied.scheduledCompact, copied.finishedCompact, 1)
      if (bump > 0) {
        const latest = copied.lastRevision
        revision = latest + bump
        log.info('bumping latest revision', {
          'latest-revision': latest,
          'bump-amount': bump,
          'new-latest-revision': revision,
        })
        if (o.markCompacted) {
          log.info('marking revision compacted', { revision })
          scheduled = revision
        }
      }
      writeRestoredMeta(backend, {
        consistentIndex: identity.members.length,
        term: 1,
        currentRevision: revision,
        scheduledCompact: scheduled,
        finishedCompact: copied.finishedCompact,
      })

      const members = await MemberStore.open(backend)
      const wb = backend.batch()
      for (const m of identity.members) {
        members.apply(
          { type: 'addNode', nodeId: m.id },
          { member: { id: m.id, name: m.name, peerURLs: [...m.peerUrls].sort(), clientURLs: [], isLearner: false } },
          wb,
        )
        log.info('added member', {
          'cluster-id': identity.clusterId.toString(16),
          'local-member-id': '0',
          'added-peer-id': m.id.toString(16),
          'added-peer-peer-urls': m.peerUrls,
        })
      }
      wb.write({ sync: true })
    } finally {
      await backend.close()
    }

    await writeIdentity(tmp, identity)
    await createRestoredRaftDisk({
      dataDir: tmp,
      walDir: walTmp,
      memberId: identity.memberId,
      clusterId: identity.clusterId,
      voters: identity.members.map((m) => m.id),
      index: identity.members.length,
      term: 1,
    })

    if (!walInside) {
      await fsp.rename(walTmp, walDir)
      made[made.indexOf(walTmp)] = walDir // removed again if the data dir cannot be put in place
      await syncDir(path.dirname(path.resolve(walDir)))
    }
    // An empty data dir is replaced (rename(2) takes the place of an empty directory).
    await fsp.rename(tmp, dataDir)
    made.length = 0
    await syncDir(path.dirname(path.resolve(dataDir)))

    log.info('restored snapshot', { path: o.snapshotPath, 'wal-dir': walDir, 'data-dir': dataDir, 'snap-dir': snapDir })
    return { dataDir, walDir, memberId: identity.memberId, clusterId: identity.clusterId, revision, copied }
  } finally {
    db.close()
    for (const d of made) await fsp.rm(d, { recursive: true, force: true })
  }
}
