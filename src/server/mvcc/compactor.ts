/**
 * Physical compaction: deletes the records the index compaction dropped, in the background.
 *
 * Jobs run one after another. Each deletes its revisions in chunks of `chunkSize`, one
 * backend write per chunk with a setImmediate between chunks so requests keep flowing,
 * then records the finished compaction revision in the meta bucket.
 *
 * Crash safety: a job's revisions are deleted in ascending order per key, so after a crash
 * the records left of each key are a suffix of its history, which the restore turns back into
 * the same generations; the restore then compacts the index again and reschedules the job
 * (the scheduled revision in meta is above the finished one).
 */
import type { Backend } from '../backend/backend.js'
import { Errors } from '../../errors/rpctypes.js'
import type { RemovedRevs } from './key-index.js'
import { MetaKey, putMeta } from './meta.js'
import { RevKeyScratch } from './revision.js'

export class CompactionJob {
  readonly done: Promise<void>
  resolve!: () => void
  reject!: (e: unknown) => void

  constructor(
    readonly revision: number,
    readonly removed: RemovedRevs,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    // Nobody has to wait for a compaction: never an unhandled rejection.
    this.done.catch(() => {})
  }
}

const scratch = new RevKeyScratch()

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export class Compactor {
  private readonly queue: CompactionJob[] = []
  private running: Promise<void> | null = null
  private stopped = false

  constructor(
    private readonly backend: Backend,
    private readonly chunkSize: number,
  ) {}

  schedule(job: CompactionJob): void {
    if (this.stopped) {
      job.reject(Errors.Stopped)
      return
    }
    this.queue.push(job)
    if (this.running === null) this.running = this.run()
  }

  /** Resolves when every scheduled job has finished. */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running
  }

  /** Stops after the chunk in progress; unfinished jobs resume after the next open. */
  async stop(): Promise<void> {
    this.stopped = true
    await this.idle()
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const job = this.queue.shift()!
      if (this.stopped) {
        job.reject(Errors.Stopped)
        continue
      }
      try {
        await this.execute(job)
        job.resolve()
      } catch (e) {
        job.reject(e)
      }
    }
    this.running = null
  }

  private async execute(job: CompactionJob): Promise<void> {
    const removed = job.removed
    // A limit of 0 or less deletes everything in one batch, as etcd's --experimental-compaction-batch-limit.
    const step = this.chunkSize > 0 ? this.chunkSize * 3 : Math.max(3, removed.length)
    for (let i = 0; i < removed.length; i += step) {
      await nextTurn()
      if (this.stopped) throw Errors.Stopped
      const wb = this.backend.batch()
      const end = Math.min(removed.length, i + step)
      for (let j = i; j < end; j += 3) wb.del(scratch.key(removed[j], removed[j + 1], removed[j + 2] === 1))
      wb.write()
    }
    if (this.stopped) throw Errors.Stopped
    const wb = this.backend.batch()
    putMeta(wb, MetaKey.finishedCompact, job.revision)
    wb.write()
  }
}
