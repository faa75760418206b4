/** etcd's --auto-compaction-retention, read as embed.parseCompactionRetention does. */
import { parseGoDuration } from '../../go/duration.js'
import { ConfigError } from './parse.js'

/**
 * A whole number is hours (periodic) or revisions (revision); anything else is a Go duration
 * (periodic: that period; revision: its nanoseconds, as etcd counts them). Returns
 * milliseconds for periodic mode and a revision count for revision mode; 0 disables.
 */
export function parseCompactionRetention(mode: 'periodic' | 'revision', retention: string): number {
  if (/^[+-]?\d+$/.test(retention) && Number(retention) >= 0) {
    const n = Number(retention)
    return mode === 'revision' ? n : n * 3_600_000
  }
  const ms = parseGoDuration(retention)
  if (ms === undefined)
    throw new ConfigError(`error parsing CompactionRetention: time: invalid duration ${JSON.stringify(retention)}`)
  if (ms < 0) throw new ConfigError(`--auto-compaction-retention must not be negative (set to ${retention})`)
  return mode === 'revision' ? Math.round(ms * 1e6) : ms
}
