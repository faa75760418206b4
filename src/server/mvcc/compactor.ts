/**
 * Compaction in the background: the index first, then the records it dropped.
 *
 * A compaction request only sets the compaction revision (reads below it fail at once; reads
 * at or above it get the same answers from a compacted or an uncompacted key). Jobs run one
 * after another. A job from a request first compacts the in-memory index: only the keys with
 * history (TreeIndex.historyKeys: a key with a single revision has nothing to remove), in
 * slices of about a millisecond of work with a setImmediate between slices, so that requests keep
 * flowing with a million keys; the records it drops are collected as it goes. It then
 * deletes its revisions in chunks of `chunkSize`, one backend write per chunk with a
 * setImmediate between chunks so requests keep flowing, then records the finished
 * compaction revision in the meta bucket.
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
import type { TreeIndex } from './tree-index.js'

/** How the index is compacted in slices, one per turn of the event loop. */
export interface SliceOptions {
  /** Milliseconds of work per slice (a request waits about this much at most). */
  ms: number
  /** Keys compacted between two looks at the clock (a slice does at least this many). */
  keys: number
}

const DEFAULT_SLICE: SliceOptions = { ms: 1, keys: 256 }

export class CompactionJob {
  readonly done: Promise<void>
  resolve!: () => void
  reject!: (e: unknown) => void

  /**
   * `removed`: the revisions to delete; with `index`, the index is compacted at `revision`
   * first and what it drops is appended to `removed`.
   */
  constructor(
    readonly revision: number,
    readonly removed: RemovedRevs,
    readonly index: TreeIndex | null = null,
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
  /** Revisions of the reads in flight (one entry per read), and who waits for them to end. */
  private readonly reads: number[] = []
  private readsChanged: (() => void)[] = []

  constructor(
    private readonly backend: Backend,
    private readonly chunkSize: number,
    private readonly slice: SliceOptions = DEFAULT_SLICE,
  ) {}

  schedule(job: CompactionJob): void {
    if (this.stopped) {
      job.reject(Errors.Stopped)
      return
    }
    this.queue.push(job)
    if (this.running === null) this.running = this.run()
  }

  /**
   * A read at `rev` begins: nothing it may need is removed (neither from the index nor from
   * the backend) until the returned release is called, so a read that spans several turns
   * finishes even if a compaction passes its revision meanwhile, as etcd's read transaction
   * does.
   */
  holdRead(rev: number): () => void {
    this.reads.push(rev)
    let held = true
    return () => {
      if (!held) return
      held = false
      this.reads.splice(this.reads.indexOf(rev), 1)
      const waiting = this.readsChanged
      this.readsChanged = []
      for (const w of waiting) w()
    }
  }

  /** Resolves once no read below `rev` is in flight. */
  private async readsDone(rev: number): Promise<void> {
    while (this.reads.some((r) => r < rev)) await new Promise<void>((resolve) => this.readsChanged.push(resolve))
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
    await this.readsDone(job.revision)
    const index = job.index
    if (index !== null) {
      const keys = index.historyKeys()
      for (let done = false; !done;) {
        await nextTurn()
        if (this.stopped) throw Errors.Stopped
        const until = performance.now() + this.slice.ms
        do done = index.compactSlice(keys, job.revision, removed, this.slice.keys)
        while (!done && performance.now() < until)
      }
    }
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
