/** What an auto-compactor needs from the member, and what it offers it. */
import type { Logger } from '../log.js'
import type { Clock } from './clock.js'

export interface CompactorDeps {
  /** The store's current revision. */
  revision(): number
  /** Proposes a compaction at `revision` through the core and resolves once it is applied. */
  compact(revision: number): Promise<unknown>
  /** True for "required revision has been compacted", which counts as done (as in etcd). */
  isCompacted(err: unknown): boolean
  log: Logger
  clock: Clock
}

/** etcd's Compactor: runs until stopped; compacts only while resumed (while the member leads). */
export interface Compactor {
  pause(): void
  resume(): void
  stop(): void
}
