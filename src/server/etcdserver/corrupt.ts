/**
 * etcd's initial corruption check (--experimental-initial-corrupt-check): before a restarted
 * member runs raft, it compares the hash of its key space at its revision with what its peers
 * compute at that revision (their POST /members/hashkv). A different hash at the same
 * compaction revision is data inconsistency: the member refuses to start.
 */
import { EtcdError } from '../../errors/rpctypes.js'
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
}

/** The POST /members/hashkv route: {revision} in, this member's hash at that revision out. */
export function hashKVRoute(memberId: bigint, hashKV: (revision: number) => Promise<KvHash>) {
  return async (body: unknown): Promise<{ status: number; value: unknown }> => {
    const revision = Number((body as { revision?: unknown })?.revision ?? 0)
    try {
      const h = await hashKV(revision)
      const value: PeerHash = { member_id: memberId.toString(16), hash: h.hash, compact_revision: h.compactRevision }
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
