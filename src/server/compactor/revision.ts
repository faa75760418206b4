/**
 * etcd's revision auto-compaction (etcdserver/api/v3compactor, 3.4): every check interval
 * (5 minutes in etcd), while resumed, compacts at current revision − retention, unless that
 * is not positive or is where the last compaction already was.
 */
import type { Compactor, CompactorDeps } from './types.js'

export const REVISION_CHECK_INTERVAL_MS = 5 * 60_000

export class RevisionCompactor implements Compactor {
  private prev = 0
  private paused = true
  private stopped = false
  private cancel: () => void = () => {}

  constructor(
    private readonly retention: number,
    private readonly d: CompactorDeps,
    private readonly intervalMs = REVISION_CHECK_INTERVAL_MS,
  ) {
    this.schedule()
  }

  private schedule(): void {
    if (!this.stopped) this.cancel = this.d.clock.after(this.intervalMs, () => void this.tick())
  }

  private async tick(): Promise<void> {
    if (this.stopped) return
    const rev = this.d.revision() - this.retention
    if (this.paused || rev <= 0 || rev === this.prev) return this.schedule()
    const started = this.d.clock.now()
    this.d.log.info('starting auto revision compaction', {
      revision: rev,
      'revision-compaction-retention': this.retention,
    })
    try {
      await this.d.compact(rev)
      this.prev = rev
      this.d.log.info('completed auto revision compaction', {
        revision: rev,
        'revision-compaction-retention': this.retention,
        took: `${this.d.clock.now() - started}ms`,
      })
    } catch (err) {
      if (this.d.isCompacted(err)) this.prev = rev
      else
        this.d.log.warn('failed auto revision compaction', {
          revision: rev,
          'revision-compaction-retention': this.retention,
          'retry-interval': `${this.intervalMs}ms`,
          error: (err as Error).message,
        })
    }
    this.schedule()
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
