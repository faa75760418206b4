/**
 * `snapshot save` beyond etcdctl, for scheduled backups:
 * - with several endpoints, the first healthy one is used (etcdctl refuses);
 * - FILE may be a directory: the snapshot is then named for the current UTC time,
 *   `snapshot-YYYYMMDDTHHMMSSZ.db`, and `--keep N` keeps the N newest snapshots of that
 *   naming whose sha256 checks, removing older ones once the new one is in place;
 * - a progress line (bytes, rate) for a terminal.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { verifySnapshotFile } from '../client/snapshot.js'

const NAMED = /^snapshot-\d{8}T\d{6}Z\.db$/

/** `snapshot-20261206T031500Z.db` for that instant. */
export function timestampedName(now: Date): string {
  const iso = now.toISOString() // 2026-12-06T03:15:00.123Z
  return `snapshot-${iso.slice(0, 10).replace(/-/g, '')}T${iso.slice(11, 19).replace(/:/g, '')}Z.db`
}

/** Where to save: FILE itself, or a timestamped file inside FILE when it is a directory. */
export async function resolveTarget(file: string, now: Date): Promise<{ path: string; dir?: string }> {
  const st = await fs.stat(file).catch(() => undefined)
  if (st?.isDirectory()) return { path: path.join(file, timestampedName(now)), dir: file }
  return { path: file }
}

export interface Pruned {
  kept: string[]
  removed: string[]
  /** Snapshots of the naming that fail their check (left in place, not counted). */
  bad: string[]
}

/**
 * Keeps the `keep` newest snapshots of the naming in `dir` that pass their sha256 check and
 * removes the ones older than the oldest of those. Snapshots that fail the check are not
 * counted: newer than the kept ones they stay, older they go.
 */
export async function pruneSnapshots(dir: string, keep: number): Promise<Pruned> {
  const names = (await fs.readdir(dir))
    .filter((n) => NAMED.test(n))
    .sort()
    .reverse()
  const out: Pruned = { kept: [], removed: [], bad: [] }
  for (const n of names) {
    const p = path.join(dir, n)
    if (out.kept.length >= keep) {
      await fs.rm(p, { force: true })
      out.removed.push(p)
    } else if (await verifySnapshotFile(p).catch(() => false)) out.kept.push(p)
    else out.bad.push(p)
  }
  return out
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB']

/** Bytes as humanize.Bytes prints them (SI units): "12 MB", "1.5 GB". */
export function humanBytes(n: number): string {
  if (n < 10) return `${n} B`
  const e = Math.min(UNITS.length - 1, Math.floor(Math.log(n) / Math.log(1000)))
  const v = n / 1000 ** e
  return `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ${UNITS[e]}`
}

/** A progress line rewritten in place at most every `intervalMs`. */
export function progressLine(
  write: (s: string) => void,
  intervalMs = 250,
): {
  update(bytes: number): void
  done(): void
} {
  const start = Date.now()
  let last = 0
  let shown = false
  const show = (bytes: number) => {
    const secs = Math.max(0.001, (Date.now() - start) / 1000)
    write(`\rreceived ${humanBytes(bytes)} (${humanBytes(Math.round(bytes / secs))}/s)\x1b[K`)
    shown = true
  }
  let latest = 0
  return {
    update(bytes: number) {
      latest = bytes
      const now = Date.now()
      if (now - last < intervalMs) return
      last = now
      show(bytes)
    },
    done() {
      if (shown) {
        show(latest)
        write('\n')
      }
    },
  }
}
