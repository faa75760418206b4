/**
 * etcd's initial corruption check (--experimental-initial-corrupt-check): before a restarted
 * member runs raft, it compares the hash of its key space at its revision with what its peers
 * compute at that revision (their POST /members/hashkv). A different hash at the same
 * compaction revision is data inconsistency: the member refuses to start.
 *
 * And the periodic check (--experimental-corrupt-check-time): the leader compares its hash
 * with every member's and raises the CORRUPT alarm, through raft, for a member that differs.
 */
import { EtcdError } from '../../errors/rpctypes.js'
import { formatDuration } from '../../go/duration.js'
import type { Logger } from '../log.js'
import type { KvHash } from '../mvcc/hash.js'

export const PATH_HASHKV = '/members/hashkv'

/** The peer request API (the peer transport's `post`). */
export type PostToPeer = (
  member: bigint,
  path: string,
  body: unknown,
  timeoutMs: number,
) => Promise<{ status: number; value: unknown }>

interface PeerHash {
  member_id: string
  hash: number
  compact_revision: number
  /** The revision the hash was computed at. */
  revision?: number
}

/** The POST /members/hashkv route: {revision} in, this member's hash at that revision out. */
export function hashKVRoute(memberId: bigint, hashKV: (revision: number) => Promise<KvHash>) {
  return async (body: unknown): Promise<{ status: number; value: unknown }> => {
    const revision = Number((body as { revision?: unknown })?.revision ?? 0)
    try {
      const h = await hashKV(revision)
      const value: PeerHash = {
        member_id: memberId.toString(16),
        hash: h.hash,
        compact_revision: h.compactRevision,
        revision: h.revision,
      }
      return { status: 200, value }
    } catch (err) {
      if (err instanceof EtcdError) return { status: 400, value: { error: err.message } }
      throw err
    }
  }
}

export interface InitialCheck {
  memberId: bigint
  peers: bigint[]
  local: () => Promise<KvHash>
  post: PostToPeer
  timeoutMs: number
  log: Logger
}

/** Throws etcd's "<id> found data inconsistency with peers" when a peer's hash differs. */
export async function checkInitialHashKV(o: InitialCheck): Promise<void> {
  const id = o.memberId.toString(16)
  o.log.info('starting initial corruption check', { 'local-member-id': id, timeout: `${o.timeoutMs}ms` })
  const local = await o.local()
  let mismatch = 0
  await Promise.all(
    o.peers.map(async (peer) => {
      const fields = {
        'local-member-id': id,
        'local-member-revision': local.revision,
        'local-member-compact-revision': local.compactRevision,
        'local-member-hash': local.hash,
        'remote-peer-id': peer.toString(16),
      }
      const answer = await askPeer(o, peer, local.revision)
      if (answer === undefined) return o.log.warn('failed hash kv request', fields)
      if (answer.status !== 200) {
        const error = String((answer.value as { error?: unknown })?.error ?? answer.value)
        if (/future revision/.test(error))
          return o.log.warn('cannot fetch hash from slow remote peer', { ...fields, error })
        if (/compacted/.test(error))
          return o.log.warn('cannot fetch hash from remote peer; local member is behind', { ...fields, error })
        return o.log.warn('failed hash kv request', { ...fields, error })
      }
      const p = answer.value as PeerHash
      if (p.hash === local.hash) return
      const remote = { ...fields, 'remote-peer-hash': p.hash, 'remote-peer-compact-revision': p.compact_revision }
      if (p.compact_revision === local.compactRevision) {
        mismatch++
        o.log.warn('found different hash values from remote peer', remote)
      } else o.log.warn('found different compact revision values from remote peer', remote)
    }),
  )
  if (mismatch > 0) throw new Error(`${id} found data inconsistency with peers`)
  o.log.info('initial corruption checking passed; no corruption', { 'local-member-id': id })
}

/** Asks until the peer is connected and answers, or the time is up (undefined). */
async function askPeer(
  o: InitialCheck,
  peer: bigint,
  revision: number,
): Promise<{ status: number; value: unknown } | undefined> {
  const deadline = Date.now() + o.timeoutMs
  for (;;) {
    const left = deadline - Date.now()
    if (left <= 0) return undefined
    try {
      return await o.post(peer, PATH_HASHKV, { revision }, left)
    } catch {
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now()))))
    }
  }
}

export interface PeriodicCheck {
  memberId: bigint
  /** --experimental-corrupt-check-time, in ms (> 0). */
  intervalMs: number
  /** The other members of the cluster. */
  peers: () => bigint[]
  isLeader: () => boolean
  local: () => Promise<KvHash>
  /** Resolves when everything committed before the call is applied here. */
  readNotify: () => Promise<void>
  /** Proposes ACTIVATE CORRUPT for `member`. */
  raiseCorrupt: (member: bigint) => Promise<unknown>
  post: PostToPeer
  timeoutMs: number
  log: Logger
}

/**
 * etcd's monitorKVHash: every interval the leader takes its hash at its current revision,
 * asks every peer for theirs at that revision, and raises CORRUPT for a member whose answer
 * cannot be right (a hash that differs at the same compaction revision, a revision or a
 * compaction revision past the leader's). Returns a function that stops it.
 */
export function monitorKVHash(o: PeriodicCheck): () => void {
  o.log.info('enabled corruption checking', {
    'local-member-id': o.memberId.toString(16),
    interval: formatDuration(BigInt(Math.round(o.intervalMs)) * 1_000_000n),
  })
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  const loop = () => {
    timer = setTimeout(() => {
      if (stopped) return
      const pass = o.isLeader() ? checkHashKV(o) : Promise.resolve()
      pass
        .catch((err: Error) => o.log.warn('failed to check hash KV', { error: err.message }))
        .finally(() => {
          if (!stopped) loop()
        })
    }, o.intervalMs)
  }
  loop()
  return () => {
    stopped = true
    if (timer) clearTimeout(timer)
  }
}

/** One pass of etcd 3.4's checkHashKV. */
export async function checkHashKV(o: PeriodicCheck): Promise<void> {
  const first = await o.local()
  const h = first.hash
  const rev = first.revision
  const crev = first.compactRevision
  const answers = await Promise.all(
    o.peers().map(async (peer) => {
      try {
        const a = await o.post(peer, PATH_HASHKV, { revision: rev }, o.timeoutMs)
        if (a.status === 200) return { peer, hash: a.value as PeerHash }
        const error = String((a.value as { error?: unknown })?.error ?? a.value)
        o.log.warn('failed hash kv request', {
          'local-member-id': o.memberId.toString(16),
          'requested-revision': rev,
          'remote-peer-id': peer.toString(16),
          error,
        })
      } catch (err) {
        o.log.warn('failed hash kv request', {
          'local-member-id': o.memberId.toString(16),
          'requested-revision': rev,
          'remote-peer-id': peer.toString(16),
          error: (err as Error).message,
        })
      }
      return { peer, hash: undefined }
    }),
  )
  await o.readNotify()
  const second = await o.local()
  const [h2, rev2, crev2] = [second.hash, second.revision, second.compactRevision]

  const alarmed = new Set<bigint>()
  const mismatch = (id: bigint) => {
    if (alarmed.has(id)) return
    alarmed.add(id)
    o.raiseCorrupt(id).catch((err: Error) => o.log.warn('failed to raise the CORRUPT alarm', { error: err.message }))
  }
  if (h2 !== h && rev2 === rev && crev === crev2) {
    o.log.warn('found hash mismatch', {
      'revision-1': rev,
      'compact-revision-1': crev,
      'hash-1': h,
      'revision-2': rev2,
      'compact-revision-2': crev2,
      'hash-2': h2,
    })
    mismatch(o.memberId)
  }
  let checked = 0
  for (const { peer, hash: p } of answers) {
    if (p === undefined) continue
    checked++
    const id = peer.toString(16)
    if (p.revision !== undefined && p.revision > rev2) {
      o.log.warn("revision from follower must be less than or equal to leader's", {
        'leader-revision': rev2,
        'follower-revision': p.revision,
        'follower-peer-id': id,
      })
      mismatch(peer)
    }
    if (p.compact_revision > crev2) {
      o.log.warn("compact revision from follower must be less than or equal to leader's", {
        'leader-compact-revision': crev2,
        'follower-compact-revision': p.compact_revision,
        'follower-peer-id': id,
      })
      mismatch(peer)
    }
    if (p.compact_revision === crev && p.hash !== h) {
      o.log.warn('same compact revision then hashes must match', {
        'leader-compact-revision': crev2,
        'leader-hash': h,
        'follower-compact-revision': p.compact_revision,
        'follower-hash': p.hash,
        'follower-peer-id': id,
      })
      mismatch(peer)
    }
  }
  o.log.info('finished peer corruption check', { 'number-of-peers-checked': checked })
}
