/**
 * The leader's lease timer: every 500 ms (as etcd), while the lessor is primary, proposes a
 * revoke for each expired lease and one checkpoint request for the checkpoints that are due.
 */
import type { LeaseCheckpoint } from '../../gen/etcdserverpb.js'
import { Errors } from '../../errors/rpctypes.js'
import type { Logger } from '../log.js'
import type { Lessor } from './lessor.js'

export interface LeaseProposer {
  revoke(id: bigint): Promise<unknown>
  checkpoint(checkpoints: LeaseCheckpoint[]): Promise<unknown>
}

/** Revokes proposed per turn (etcd: half its revoke rate of 1000/s) and checkpoints per entry. */
const REVOKES_PER_TURN = 500
const CHECKPOINTS_PER_ENTRY = 1000

export class PrimaryLoop {
  private timer?: NodeJS.Timeout

  constructor(
    private readonly lessor: Lessor,
    private readonly proposer: LeaseProposer,
    private readonly log: Pick<Logger, 'warn'>,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.turn(), this.intervalMs)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }

  /** One check (public for tests). */
  turn(): void {
    if (!this.lessor.isPrimary) return
    for (const id of this.lessor.expired(REVOKES_PER_TURN)) {
      this.proposer.revoke(id).catch((err: Error) => {
        if (err !== Errors.LeaseNotFound)
          this.log.warn('failed to revoke expired lease', { 'lease-id': id.toString(16), error: err.message })
      })
    }
    const cps = this.lessor.dueCheckpoints(CHECKPOINTS_PER_ENTRY)
    if (cps.length > 0)
      this.proposer
        .checkpoint(cps)
        .catch((err: Error) => this.log.warn('failed to checkpoint leases', { error: err.message }))
  }
}
