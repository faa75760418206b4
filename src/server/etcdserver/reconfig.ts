/**
 * Changing the cluster: MemberAdd, MemberRemove, MemberUpdate and MemberPromote as etcd's
 * server does them, and applying the committed conf changes to the member store.
 *
 * A change is checked (etcd's --strict-reconfig-check: a change must not lose quorum counting
 * the members that are active per the transport), proposed as a raft conf change whose
 * context carries the member and the request ID, and answered once it is applied here. One
 * change at a time per member. Every member validates a committed change against its store
 * at the same index (etcd's ValidateConfigurationChange) and all reach the same verdict; a
 * refused change is recorded so that a replay after a restart skips it in raft as well.
 *
 * A member that applies its own removal logs it, and stops after a short delay (its last
 * messages, the leader's commit among them, get out).
 */
import { createHash } from 'node:crypto'
import { Errors, EtcdError } from '../../errors/rpctypes.js'
import type {
  MemberAddRequest,
  MemberAddResponseInit,
  MemberInit,
  MemberPromoteResponseInit,
  MemberRemoveResponseInit,
  MemberUpdateRequest,
  MemberUpdateResponseInit,
} from '../../gen/etcdserverpb.js'
import {
  decodeConfChange,
  ErrInvalidConfChange,
  ErrProposalDropped,
  type ConfChange,
  type Entry,
} from '../../raft/index.js'
import { decodeConfContext, encodeConfContext, type ConfContext, type Member } from '../membership/member.js'
import { parsePeerUrls } from '../membership/peer-urls.js'
import type { MemberChange, MemberStore } from '../membership/store.js'
import type { StateMachine } from '../apply/applier.js'
import type { RaftNode } from '../raftnode/raft-node.js'
import type { Logger } from '../log.js'

/** etcd's HealthInterval: a peer counts as active once connected this long. */
const HEALTH_INTERVAL_MS = 5000
/** etcd's readyPercent: a learner may be promoted once its match reaches this share of the leader's. */
const READY_PERCENT = 0.9
/** How long a proposed change may go unapplied before it is proposed again. */
const REPROPOSE_MS = 1000
export const REMOVED_MESSAGE = 'the member has been permanently removed from the cluster'

export interface ReconfigHooks {
  /** Since when the transport's stream to `id` has been up; undefined while it is not. */
  activeSince(id: bigint): Date | undefined
  /** A change was applied: the transport adds, drops or redials the peer. */
  changed(change: MemberChange): void
  /** This member was removed from the cluster; it stops serving. */
  removed(): void
  /** Asks the leader to promote `id`; rejects with the leader's error. */
  forwardPromote(leader: bigint, id: bigint): Promise<void>
}

export interface ReconfigOptions {
  memberId: bigint
  store: MemberStore
  sm: StateMachine
  requestTimeoutMs: number
  strictReconfigCheck: boolean
  logger: Logger
  hooks: ReconfigHooks
  /** What this member announces about itself (etcd's publish). */
  self: { name: string; clientURLs: string[] }
  /** The member an add entry without a member in its context stands for (old bootstrap logs). */
  seed(id: bigint): Member | undefined
  /** Delay between applying this member's removal and stopping. */
  removedStopDelayMs?: number
}

interface Waiter {
  resolve: () => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout
}

/** etcd's NewMember for MemberAdd: SHA-1 over the sorted peer URLs, the (empty) cluster name and the time in seconds. */
export function newMemberId(sortedPeerUrls: readonly string[], nowSeconds: number): bigint {
  const h = createHash('sha1')
    .update(sortedPeerUrls.join('') + String(nowSeconds))
    .digest()
  return h.readBigUInt64BE(0)
}

export function toProtoMember(m: Member): MemberInit {
  return { ID: m.id, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs, isLearner: m.isLearner }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export class Reconfig {
  private node!: RaftNode
  private readonly waiters = new Map<bigint, Waiter>()
  private queue: Promise<unknown> = Promise.resolve()
  private counter = 0n
  private readonly requestBase = BigInt.asUintN(64, BigInt(Date.now()) << 20n)
  private stopped = false
  private removedSelf = false
  private publishing: Promise<void> | undefined

  constructor(private readonly o: ReconfigOptions) {}

  attach(node: RaftNode): void {
    this.node = node
  }

  get store(): MemberStore {
    return this.o.store
  }

  /** True while this member is a learner. */
  get isLearner(): boolean {
    return this.o.store.get(this.o.memberId)?.isLearner ?? false
  }

  // ---- applying (called by the raft loop for every committed conf change) ----

  applyConfEntry(e: Entry, node: RaftNode): void {
    const cc = decodeConfChange(e.data)
    let ctx: ConfContext
    try {
      ctx = decodeConfContext(cc.context)
    } catch {
      ctx = {}
    }
    if (e.index <= this.o.sm.appliedIndex) {
      // Replayed: the store has it already; raft needs it unless every member refused it.
      if (!this.o.store.wasRefused(e.index)) node.applyConfChange(e.data)
      return
    }
    const err = this.o.store.validate(cc, ctx)
    let change: MemberChange | undefined
    if (err !== undefined) {
      this.o.sm.applyRecords(e.index, (wb) => this.o.store.markRefused(e.index, wb))
      this.o.logger.info('refused membership change', {
        type: cc.type,
        'member-id': cc.nodeId.toString(16),
        error: err.message,
      })
    } else {
      this.o.sm.applyRecords(e.index, (wb) => (change = this.o.store.apply(cc, ctx, wb, this.o.seed(cc.nodeId))))
      node.applyConfChange(e.data)
    }
    if (change !== undefined) this.changed(change)
    if (ctx.request !== undefined) this.settle(ctx.request, err)
  }

  private changed(change: MemberChange): void {
    if (change.type !== 'updated' || change.peerURLsChanged) {
      const id = change.type === 'removed' ? change.id : change.member.id
      this.o.logger.info(`${change.type} member`, {
        'member-id': id.toString(16),
        'peer-urls': change.member?.peerURLs,
      })
    }
    this.o.hooks.changed(change)
    if (change.type === 'removed' && change.id === this.o.memberId && !this.removedSelf) {
      this.removedSelf = true
      this.o.logger.error(REMOVED_MESSAGE, { 'member-id': this.o.memberId.toString(16) })
      setTimeout(() => this.o.hooks.removed(), this.o.removedStopDelayMs ?? 1000).unref()
    }
  }

  private settle(request: bigint, err: EtcdError | undefined): void {
    const w = this.waiters.get(request)
    if (w === undefined) return
    this.waiters.delete(request)
    clearTimeout(w.timer)
    if (err) w.reject(err)
    else w.resolve()
  }

  // ---- proposing ----

  private configure(
    cc: ConfChange,
    ctx: Omit<ConfContext, 'request'>,
    timeoutMs = this.o.requestTimeoutMs,
  ): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.stopped) throw Errors.Stopped
      const pre = this.o.store.validate(cc, ctx)
      if (pre !== undefined) throw pre
      const request = BigInt.asUintN(64, this.requestBase + ++this.counter)
      const deadline = Date.now() + timeoutMs
      const applied = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiters.delete(request)
          reject(this.node.leader === 0n ? Errors.TimeoutDueToLeaderFail : Errors.Timeout)
        }, timeoutMs)
        this.waiters.set(request, { resolve, reject, timer })
      })
      const proposal: ConfChange = { ...cc, context: encodeConfContext({ ...ctx, request }) }
      // A change forwarded to a leader that has another in flight is dropped without a word:
      // propose again until it is applied (a second copy applies as a no-op or is refused, and
      // its result goes nowhere: the waiter is gone).
      let settled = false
      const done = applied.finally(() => (settled = true))
      while (!settled && this.waiters.has(request)) {
        try {
          this.node.proposeConfChange(proposal)
        } catch (err) {
          // No leader yet, or another change still in flight: try again until the deadline.
          if (!(err instanceof ErrProposalDropped) || Date.now() > deadline) {
            this.settle(
              request,
              err instanceof ErrInvalidConfChange
                ? Errors.MemberNotFound
                : err instanceof EtcdError
                  ? err
                  : Errors.Timeout,
            )
            break
          }
          await sleep(50)
          continue
        }
        await Promise.race([done.catch(() => undefined), sleep(REPROPOSE_MS)])
      }
      await done
    }
    const p = this.queue.then(run, run)
    this.queue = p.catch(() => undefined)
    return p
  }

  private memberList(): MemberInit[] {
    return this.o.store.members().map(toProtoMember)
  }

  /** Members counted as started (etcd: the member has published its name). */
  private started(m: Member): boolean {
    return m.name !== ''
  }

  private activeLongEnough(id: bigint, now: number): boolean {
    if (id === this.o.memberId) return true
    const since = this.o.hooks.activeSince(id)
    return since !== undefined && since.getTime() <= now - HEALTH_INTERVAL_MS
  }

  async memberAdd(req: MemberAddRequest): Promise<MemberAddResponseInit> {
    const urls = parsePeerUrls(req.peerURLs)
    if (urls === undefined) throw Errors.MemberBadURLs
    const m: Member = {
      id: newMemberId(urls, Math.floor(Date.now() / 1000)),
      name: '',
      peerURLs: urls,
      clientURLs: [],
      isLearner: req.isLearner,
    }
    if (this.o.strictReconfigCheck && !m.isLearner) {
      const voters = this.o.store.voters()
      const nmembers = voters.length + 1
      const nstarted = voters.filter((v) => this.started(v)).length
      if (!(nstarted === 1 && nmembers === 2) && nstarted < Math.floor(nmembers / 2) + 1)
        throw Errors.MemberNotEnoughStarted
      const now = Date.now()
      if (!voters.every((v) => this.activeLongEnough(v.id, now))) throw Errors.Unhealthy
    }
    await this.configure({ type: m.isLearner ? 'addLearner' : 'addNode', nodeId: m.id }, { member: m })
    return { member: { ID: m.id, peerURLs: m.peerURLs, isLearner: m.isLearner }, members: this.memberList() }
  }

  async memberRemove(id: bigint): Promise<MemberRemoveResponseInit> {
    const target = this.o.store.get(id)
    if (this.o.strictReconfigCheck && target !== undefined && !target.isLearner) {
      const voters = this.o.store.voters()
      const rest = voters.filter((v) => v.id !== id)
      if (rest.filter((v) => this.started(v)).length < Math.floor(rest.length / 2) + 1)
        throw Errors.MemberNotEnoughStarted
      if (id === this.o.memberId || this.o.hooks.activeSince(id) !== undefined) {
        const now = Date.now()
        const active = voters.filter((v) => this.activeLongEnough(v.id, now)).length
        if (active - 1 < 1 + Math.floor((voters.length - 1) / 2)) throw Errors.MemberNotEnoughStarted
      }
    }
    if (target !== undefined && !target.isLearner && id === this.node.leader) await this.handOverLeadership(id)
    await this.configure({ type: 'removeNode', nodeId: id }, {})
    return { members: this.memberList() }
  }

  /**
   * Removing the leader first hands leadership to another voter: on the leader the most
   * caught-up one, on a follower this member (raft forwards the request to the leader and
   * brings the target up to date before it hands over).
   */
  private async handOverLeadership(leaving: bigint): Promise<void> {
    const voters = this.o.store.voters().filter((v) => v.id !== leaving)
    let best: bigint | undefined
    const progress = this.node.raw.status().progress
    if (progress !== undefined) {
      let bestMatch = -1
      for (const v of voters) {
        const match = progress.get(v.id)?.match ?? -1
        if (match > bestMatch) {
          best = v.id
          bestMatch = match
        }
      }
    } else if (voters.some((v) => v.id === this.o.memberId)) best = this.o.memberId
    else best = voters[0]?.id
    if (best === undefined) return
    this.o.logger.info('removing the leader: transferring leadership first', {
      leader: leaving.toString(16),
      to: best.toString(16),
    })
    this.node.transferLeader(best)
    const until = Date.now() + this.o.requestTimeoutMs
    while ((this.node.leader === leaving || this.node.leader === 0n) && Date.now() < until) await sleep(20)
  }

  /**
   * Maintenance.MoveLeader (etcd's EtcdServer.MoveLeader): on the leader, asks raft to hand
   * leadership to `target` and waits until it leads. Gives up with
   * Errors.TimeoutLeaderTransfer when the call is cancelled or the request timeout passes
   * (raft itself abandons a transfer after an election timeout).
   */
  async moveLeader(target: bigint, signal?: AbortSignal): Promise<void> {
    if (this.node.leader !== this.o.memberId) throw Errors.NotLeader
    const m = this.o.store.get(target)
    if (m === undefined || m.isLearner) throw Errors.BadLeaderTransferee
    const lead = this.node.leader
    const started = Date.now()
    this.o.logger.info('leadership transfer starting', {
      'local-member-id': this.o.memberId.toString(16),
      'current-leader-member-id': lead.toString(16),
      'transferee-member-id': target.toString(16),
    })
    this.node.transferLeader(target)
    const until = started + this.o.requestTimeoutMs
    while (this.node.leader !== target) {
      if (this.stopped) throw Errors.Stopped
      if (signal?.aborted || Date.now() >= until) throw Errors.TimeoutLeaderTransfer
      await sleep(10)
    }
    this.o.logger.info('leadership transfer finished', {
      'local-member-id': this.o.memberId.toString(16),
      'old-leader-member-id': lead.toString(16),
      'new-leader-member-id': target.toString(16),
      took: `${Date.now() - started}ms`,
    })
  }

  async memberUpdate(req: MemberUpdateRequest): Promise<MemberUpdateResponseInit> {
    const urls = parsePeerUrls(req.peerURLs)
    if (urls === undefined) throw Errors.MemberBadURLs
    const m = this.o.store.get(req.ID) ?? { id: req.ID, name: '', peerURLs: [], clientURLs: [], isLearner: false }
    await this.configure({ type: 'updateNode', nodeId: req.ID }, { kind: 'update', member: { ...m, peerURLs: urls } })
    return { members: this.memberList() }
  }

  async memberPromote(id: bigint): Promise<MemberPromoteResponseInit> {
    const leader = this.node.leader
    if (leader === 0n) throw Errors.NoLeader
    if (leader !== this.o.memberId) {
      await this.o.hooks.forwardPromote(leader, id)
      return { members: this.memberList() }
    }
    await this.promoteHere(id)
    return { members: this.memberList() }
  }

  /** The leader's side of a promotion (also what a forwarded promotion runs). */
  async promoteHere(id: bigint): Promise<void> {
    const progress = this.node.raw.status().progress
    if (progress === undefined) throw Errors.NotLeader
    const pr = progress.get(id)
    const own = progress.get(this.o.memberId)
    if (pr !== undefined && own !== undefined && pr.match < own.match * READY_PERCENT) throw Errors.LearnerNotReady
    if (this.o.strictReconfigCheck) {
      const voters = this.o.store.voters()
      const nmembers = voters.length + 1
      const nstarted = voters.filter((v) => this.started(v)).length + 1
      if (nstarted < Math.floor(nmembers / 2) + 1) throw Errors.MemberNotEnoughStarted
    }
    await this.configure({ type: 'promoteLearner', nodeId: id }, {})
  }

  // ---- publishing this member's name and client URLs ----

  /**
   * Announces the name and client URLs through raft (etcd's publish), retrying until the
   * announcement is applied. Resolves then, or once the member stopped or was removed.
   */
  publish(): Promise<void> {
    if (this.publishing) return this.publishing
    this.publishing = (async () => {
      // Once per start, even when the store has them already, as etcd publishes: the
      // member is ready to serve when its announcement went through raft.
      let published = false
      while (!this.stopped && !this.removedSelf && !published) {
        const me = this.o.store.get(this.o.memberId)
        if (me === undefined || this.node.leader === 0n) {
          await sleep(100)
          continue
        }
        try {
          await this.configure(
            { type: 'updateNode', nodeId: me.id },
            { kind: 'publish', member: { ...me, name: this.o.self.name, clientURLs: this.o.self.clientURLs } },
            1000 + Math.floor(Math.random() * 500),
          )
          this.o.logger.info('published local member to cluster through raft', {
            name: this.o.self.name,
            'client-urls': this.o.self.clientURLs,
          })
          published = true
        } catch (err) {
          this.o.logger.debug('publish failed; retrying', { error: (err as Error).message })
        }
      }
    })()
    return this.publishing
  }

  stop(): void {
    this.stopped = true
    for (const [id] of this.waiters) this.settle(id, Errors.Stopped)
  }
}
