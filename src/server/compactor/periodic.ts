/**
 * etcd's periodic auto-compaction (etcdserver/api/v3compactor, 3.4): with retention period P
 * (the check window is P capped at one hour), the revision is sampled every window/10; after
 * the first P has passed, and then after every window, it compacts at the revision sampled
 * P ago (the oldest of the last P/(window/10)+1 samples). A failed compaction is retried a
 * sample later. Samples are taken while paused too; compactions only run while resumed.
 */
import type { Compactor, CompactorDeps } from './types.js'

const HOUR_MS = 3_600_000
const RETRY_DIVISOR = 10

export class PeriodicCompactor implements Compactor {
  private readonly revs: number[] = []
  private readonly retryMs: number
  private readonly compactMs: number
  private readonly retentions: number
  private lastSuccess: number
  private baseMs: number
  private paused = true
  private stopped = false
  private cancel: () => void = () => {}

  constructor(
    private readonly periodMs: number,
    private readonly d: CompactorDeps,
  ) {
    this.compactMs = Math.min(periodMs, HOUR_MS)
    this.retryMs = this.compactMs / RETRY_DIVISOR
    this.retentions = Math.floor(periodMs / this.retryMs) + 1
    this.lastSuccess = d.clock.now()
    this.baseMs = periodMs
    this.sample()
  }

  private sample(): void {
    if (this.stopped) return
    this.revs.push(this.d.revision())
    if (this.revs.length > this.retentions) this.revs.shift() // revs[0] is the revision one period ago
    this.cancel = this.d.clock.after(this.retryMs, () => void this.tick())
  }

  private async tick(): Promise<void> {
    if (this.stopped) return
    if (this.paused || this.d.clock.now() - this.lastSuccess < this.baseMs) return this.sample()
    this.baseMs = this.compactMs
    const rev = this.revs[0]
    const period = `${this.periodMs}ms`
    this.d.log.info('starting auto periodic compaction', { revision: rev, 'compact-period': period })
    try {
      await this.d.compact(rev)
      this.done(rev, period)
    } catch (err) {
      if (this.d.isCompacted(err)) this.done(rev, period)
      else
        this.d.log.warn('failed auto periodic compaction', {
          revision: rev,
          'compact-period': period,
          'retry-interval': `${this.retryMs}ms`,
          error: (err as Error).message,
        })
    }
    this.sample()
  }

  private done(rev: number, period: string): void {
    const now = this.d.clock.now()
    this.d.log.info('completed auto periodic compaction', {
      revision: rev,
      'compact-period': period,
      took: `${now - this.lastSuccess}ms`,
    })
    this.lastSuccess = now
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
  }

  stop(): void {
    this.stopped = true
    this.cancel()
  }
}
