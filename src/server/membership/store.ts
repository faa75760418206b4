/**
 * The replicated member store: the cluster's members and the IDs removed from it, kept in
 * the backend's members bucket and changed only by applying committed conf changes. The
 * records of a change go into the write batch that also records the change's raft index as
 * applied, so replaying the log after a crash changes nothing twice.
 *
 *   0x05 'm' <16 hex digits>   a member (JSON, see member.ts)
 *   0x05 'r' <16 hex digits>   a removed member ID (empty value)
 *   0x05 'x' <16 hex digits>   the raft index of a conf change every member refused (empty)
 *
 * `validate` gives the error etcd's ValidateConfigurationChange gives for a change that cannot
 * apply; every member reaches the same verdict at the same index, so a refused change leaves
 * every store as it was.
 */
import { Errors, type EtcdError } from '../../errors/rpctypes.js'
import type { ConfChange } from '../../raft/index.js'
import type { Backend, BackendWriteBatch } from '../backend/backend.js'
import { Bucket, bucketBounds, bucketKey } from '../backend/buckets.js'
import { decodeMember, encodeMember, type ConfContext, type Member } from './member.js'

/** etcd 3.4/3.5 allow one learner at a time. */
export const MAX_LEARNERS = 1

/** What applying a change did. */
export type MemberChange =
  | { type: 'added'; member: Member }
  | { type: 'removed'; member: Member | undefined; id: bigint }
  | { type: 'updated'; member: Member; peerURLsChanged: boolean }
  | { type: 'promoted'; member: Member }

function idKey(prefix: 'm' | 'r' | 'x', id: bigint): Buffer {
  return bucketKey(Bucket.Members, prefix + id.toString(16).padStart(16, '0'))
}

function byId(a: Member, b: Member): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

export class MemberStore {
  private readonly byId = new Map<bigint, Member>()
  private readonly removedIds = new Set<bigint>()
  private readonly refused = new Set<number>()

  /** Reads the members bucket of `backend`. */
  static async open(backend: Backend): Promise<MemberStore> {
    const s = new MemberStore()
    await s.reload(backend)
    return s
  }

  /** Replaces what is held with the records of `backend` (after a snapshot from the leader). */
  async reload(backend: Backend): Promise<void> {
    this.byId.clear()
    this.removedIds.clear()
    this.refused.clear()
    const [gte, lt] = bucketBounds(Bucket.Members)
    for await (const chunk of backend.iterate(gte, lt)) {
      for (const [k, v] of chunk) {
        const kind = String.fromCharCode(k[1] ?? 0)
        const id = BigInt('0x' + k.subarray(2).toString('latin1'))
        if (kind === 'm') this.byId.set(id, decodeMember(v))
        else if (kind === 'r') this.removedIds.add(id)
        else if (kind === 'x') this.refused.add(Number(id))
      }
    }
  }

  get empty(): boolean {
    return this.byId.size === 0 && this.removedIds.size === 0
  }

  /** Members in ID order (copies). */
  members(): Member[] {
    return [...this.byId.values()]
      .sort(byId)
      .map((m) => ({ ...m, peerURLs: [...m.peerURLs], clientURLs: [...m.clientURLs] }))
  }

  get(id: bigint): Member | undefined {
    const m = this.byId.get(id)
    return m === undefined ? undefined : { ...m }
  }

  isRemoved(id: bigint): boolean {
    return this.removedIds.has(id)
  }

  /** Records that the conf change at `index` was refused (its raft change is skipped on replay). */
  markRefused(index: number, wb: BackendWriteBatch): void {
    this.refused.add(index)
    wb.put(idKey('x', BigInt(index)), Buffer.alloc(0))
  }

  wasRefused(index: number): boolean {
    return this.refused.has(index)
  }

  voters(): Member[] {
    return this.members().filter((m) => !m.isLearner)
  }

  /** The error the change fails with, or undefined when it applies. */
  validate(cc: ConfChange, ctx: ConfContext): EtcdError | undefined {
    if (this.removedIds.has(cc.nodeId)) return Errors.MemberNotFound
    const existing = this.byId.get(cc.nodeId)
    switch (cc.type) {
      case 'addNode':
      case 'addLearner': {
        if (existing !== undefined) return Errors.MemberExist
        if (ctx.member === undefined) return undefined // an old bootstrap entry: the member is seeded
        const urls = new Set([...this.byId.values()].flatMap((m) => m.peerURLs))
        if (ctx.member.peerURLs.some((u) => urls.has(u))) return Errors.PeerURLExist
        if (cc.type === 'addLearner' && [...this.byId.values()].filter((m) => m.isLearner).length + 1 > MAX_LEARNERS)
          return Errors.TooManyLearners
        return undefined
      }
      case 'promoteLearner':
        if (existing === undefined) return Errors.MemberNotFound
        if (!existing.isLearner) return Errors.MemberNotLearner
        return undefined
      case 'removeNode':
        return existing === undefined ? Errors.MemberNotFound : undefined
      case 'updateNode': {
        if (existing === undefined) return Errors.MemberNotFound
        if (ctx.kind !== 'update' || ctx.member === undefined) return undefined
        const urls = new Set([...this.byId.values()].filter((m) => m.id !== cc.nodeId).flatMap((m) => m.peerURLs))
        if (ctx.member.peerURLs.some((u) => urls.has(u))) return Errors.PeerURLExist
        return undefined
      }
    }
  }

  /**
   * Applies a validated change: updates the store and puts its records into `wb`. `seed` is
   * the member an add without a member in its context stands for (an old bootstrap entry).
   */
  apply(cc: ConfChange, ctx: ConfContext, wb: BackendWriteBatch, seed?: Member): MemberChange | undefined {
    const existing = this.byId.get(cc.nodeId)
    switch (cc.type) {
      case 'addNode':
      case 'addLearner': {
        const base = ctx.member ?? seed
        if (base === undefined) return undefined
        const m: Member = { ...base, id: cc.nodeId, isLearner: cc.type === 'addLearner' }
        this.put(m, wb)
        return { type: 'added', member: m }
      }
      case 'promoteLearner': {
        const m = { ...existing!, isLearner: false }
        this.put(m, wb)
        return { type: 'promoted', member: m }
      }
      case 'removeNode':
        this.byId.delete(cc.nodeId)
        this.removedIds.add(cc.nodeId)
        wb.del(idKey('m', cc.nodeId))
        wb.put(idKey('r', cc.nodeId), Buffer.alloc(0))
        return { type: 'removed', member: existing, id: cc.nodeId }
      case 'updateNode': {
        if (ctx.member === undefined) return undefined
        const m: Member =
          ctx.kind === 'update'
            ? { ...existing!, peerURLs: [...ctx.member.peerURLs] }
            : { ...existing!, name: ctx.member.name, clientURLs: [...ctx.member.clientURLs] }
        this.put(m, wb)
        const peerURLsChanged = m.peerURLs.join(',') !== existing!.peerURLs.join(',')
        return { type: 'updated', member: m, peerURLsChanged }
      }
    }
  }

  private put(m: Member, wb: BackendWriteBatch): void {
    this.byId.set(m.id, m)
    wb.put(idKey('m', m.id), encodeMember(m))
  }
}
