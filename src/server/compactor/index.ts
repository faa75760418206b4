/**
 * Auto-compaction from --auto-compaction-mode / --auto-compaction-retention, as etcd runs it:
 * the member proposes Compaction requests through its core; only the leader compacts (the
 * compactor is resumed while this member leads and paused otherwise).
 */
import type { ServerConfig } from '../config/config.js'
import { Errors } from '../../errors/rpctypes.js'
import type { Logger } from '../log.js'
import { realClock, type Clock } from './clock.js'
import { PeriodicCompactor } from './periodic.js'
import { RevisionCompactor } from './revision.js'
import type { Compactor, CompactorDeps } from './types.js'

export type { Clock } from './clock.js'
export type { Compactor, CompactorDeps } from './types.js'
export { PeriodicCompactor } from './periodic.js'
export { RevisionCompactor, REVISION_CHECK_INTERVAL_MS } from './revision.js'

export interface CompactionTarget {
  revision(): number
  compact(revision: number): Promise<unknown>
}

/** The compactor the configuration asks for, started paused; undefined when retention is 0. */
export function autoCompactor(
  cfg: Pick<ServerConfig, 'autoCompactionMode' | 'autoCompactionRetention' | 'autoCompactionCheckIntervalMs'>,
  target: CompactionTarget,
  log: Logger,
  clock: Clock = realClock,
): Compactor | undefined {
  if (cfg.autoCompactionRetention === 0) return undefined
  const deps: CompactorDeps = {
    revision: () => target.revision(),
    compact: (rev) => target.compact(rev),
    isCompacted: (err) => err === Errors.Compacted || (err as Error)?.message === Errors.Compacted.message,
    log,
    clock,
  }
  log.info('enabled auto compaction', {
    'auto-compaction-mode': cfg.autoCompactionMode,
    'auto-compaction-retention':
      cfg.autoCompactionMode === 'periodic' ? `${cfg.autoCompactionRetention}ms` : cfg.autoCompactionRetention,
  })
  return cfg.autoCompactionMode === 'periodic'
    ? new PeriodicCompactor(cfg.autoCompactionRetention, deps)
    : new RevisionCompactor(cfg.autoCompactionRetention, deps, cfg.autoCompactionCheckIntervalMs)
}
