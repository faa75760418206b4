/**
 * Rebuilding the store's memory from the backend on open: meta values, then the index from
 * a scan of every key record in revision order.
 */
import { Bucket, bucketBounds } from '../backend/buckets.js'
import { readMeta } from './meta.js'
import { CREATED, FLAG_LEASE, FLAG_TOMBSTONE, MAIN, NUMS, SUB, VERSION } from './record-heads.js'
import { scanHeads } from './restore-scan.js'
import type { StoreState } from './store-state.js'
import { CompactionJob } from './compactor.js'
import type { RemovedRevs } from './key-index.js'

const RESTORE_CHUNK = 4096
/** Records between two progress reports. */
const RESTORE_REPORT = 250_000

export interface RestoreProgress {
  /** Key records read so far. */
  records: number
  /** Keys in the index so far. */
  keys: number
  /** The rebuild is over (the last report). */
  done: boolean
  /** The revision restored (in the last report). */
  currentRevision: number
  elapsedMs: number
}

/** Restores `s`; returns the compaction to resume, if one was left unfinished. */
export async function restoreState(
  s: StoreState,
  onProgress?: (p: RestoreProgress) => void,
): Promise<CompactionJob | null> {
  const started = performance.now()
  let records = 0
  const meta = readMeta(s.backend)
  const index = s.index
  let lastMain = 0
  const orphans: RemovedRevs = []
  const [gte, lt] = bucketBounds(Bucket.Key)
  index.beginLoad()
  for await (const chunk of scanHeads(s.backend, gte, lt, RESTORE_CHUNK)) {
    const { count, nums, flags, leases, keys, keyEnds } = chunk
    let keyStart = 0
    for (let i = 0; i < count; i++) {
      const o = i * NUMS
      const main = nums[o + MAIN]
      const sub = nums[o + SUB]
      const f = flags[i]
      const keyEnd = keyEnds[i]
      const skey = keys.toString('latin1', keyStart, keyEnd)
      keyStart = keyEnd
      if ((f & FLAG_TOMBSTONE) !== 0) {
        // A tombstone without its generation is left over from an interrupted compaction.
        if (index.get(skey)?.restoreTombstone(main, sub) !== true) orphans.push(main, sub, 1)
      } else {
        const ki = index.getOrCreate(skey)
        ki.restorePut(main, sub, nums[o + CREATED], nums[o + VERSION])
        ki.lease = (f & FLAG_LEASE) !== 0 ? leases[i] : 0n
      }
      lastMain = main
    }
    records += count
    if (onProgress !== undefined && records % RESTORE_REPORT < count)
      onProgress({
        records,
        keys: index.size,
        done: false,
        currentRevision: lastMain,
        elapsedMs: performance.now() - started,
      })
  }
  index.endLoad()
  // -1 when the store was never compacted (both absent), as etcd's compactMainRev.
  const compacted = Math.max(meta.scheduledCompact, meta.finishedCompact)
  const unfinished = meta.scheduledCompact > meta.finishedCompact
  // A new or empty store is at revision 1, as in etcd.
  s.currentRev = s.committedRev = Math.max(1, meta.currentRevision, lastMain, compacted)
  s.compactRev = compacted
  s.consistentIndex = meta.consistentIndex
  s.term = meta.term
  onProgress?.({
    records,
    keys: index.size,
    done: true,
    currentRevision: s.currentRev,
    elapsedMs: performance.now() - started,
  })
  if (compacted < 0) return null
  const removed = index.compact(compacted)
  for (const n of orphans) removed.push(n)
  return removed.length > 0 || unfinished ? new CompactionJob(compacted, removed) : null
}
