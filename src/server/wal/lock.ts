/**
 * An exclusive lock on a WAL directory across processes (see "Lock" in doc.ts).
 *
 * The lock file `wal.lock` holds "pid starttime token". It is created with link(2) from a
 * temporary file we wrote first, so it appears atomically and complete. If it exists and its
 * process is gone (kill(pid, 0) fails with ESRCH), is a zombie or dead (state Z or X in
 * /proc/<pid>/stat: killed but not yet reaped by its parent), or the PID was reused by a
 * process with a different start time, it is stale: we rename it aside (only one contender's
 * rename can succeed), check that what we moved is still the stale lock, and try again.
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import type { FileSystem } from './fs.js'
import { isErrno } from './fs.js'
import { WalLockedError } from './errors.js'

export const LOCK_FILE = 'wal.lock'

/** The fields of a /proc/<pid>/stat line after the command name (which may hold spaces and parentheses). */
function statFields(stat: string): string[] | undefined {
  const close = stat.lastIndexOf(')')
  return close < 0 ? undefined : stat.slice(close + 2).split(' ')
}

/** The state letter (field 3: R, S, D, Z, X, ...) of a /proc/<pid>/stat line. */
export function procState(stat: string): string | undefined {
  const state = statFields(stat)?.[0]
  return state ? state : undefined
}

async function readStat(fs: FileSystem, pid: number): Promise<string | undefined> {
  try {
    return (await fs.readFile(`/proc/${pid}/stat`)).toString('latin1')
  } catch {
    return undefined
  }
}

/** Process start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or '-'. */
async function startTime(fs: FileSystem, pid: number): Promise<string> {
  const stat = await readStat(fs, pid)
  return (stat && statFields(stat)?.[19]) ?? '-'
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return !isErrno(err, 'ESRCH')
  }
}

/** Whether the lock described by `content` is held by a live process. */
async function held(fs: FileSystem, content: string): Promise<boolean> {
  const [pidText, start] = content.trim().split(' ')
  const pid = Number(pidText)
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  if (!alive(pid)) return false
  const stat = await readStat(fs, pid)
  // A zombie (killed, not yet reaped by its parent) or a dead process holds nothing, though
  // kill(pid, 0) still finds it.
  const state = stat === undefined ? undefined : procState(stat)
  if (state === 'Z' || state === 'X' || state === 'x') return false
  if (start === undefined || start === '-') return true
  const now = (stat && statFields(stat)?.[19]) ?? '-'
  return now === '-' || now === start
}

export class WalLock {
  private constructor(
    private readonly fs: FileSystem,
    readonly path: string,
    private readonly content: string,
  ) {}

  static async acquire(fs: FileSystem, dir: string): Promise<WalLock> {
    const lockPath = path.join(dir, LOCK_FILE)
    const token = randomBytes(8).toString('hex')
    const content = `${process.pid} ${await startTime(fs, process.pid)} ${token}\n`
    const tmp = `${lockPath}.${token}`
    await fs.writeFile(tmp, content)
    try {
      for (let attempt = 0; attempt < 10; attempt++) {
        try {
          await fs.link(tmp, lockPath)
          return new WalLock(fs, lockPath, content)
        } catch (err) {
          if (!isErrno(err, 'EEXIST')) throw err
        }
        const current = await readOrEmpty(fs, lockPath)
        if (current === undefined) continue
        if (await held(fs, current)) throw new WalLockedError(dir, `pid ${current.split(' ')[0]}`)
        await removeStale(fs, lockPath, current, token)
      }
      throw new WalLockedError(dir, 'contending processes')
    } finally {
      await fs.unlink(tmp).catch(() => undefined)
    }
  }

  /** Removes the lock file if it is still ours. */
  async release(): Promise<void> {
    if ((await readOrEmpty(this.fs, this.path)) === this.content) await this.fs.unlink(this.path).catch(() => undefined)
  }
}

async function readOrEmpty(fs: FileSystem, p: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(p)).toString('utf8')
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined
    throw err
  }
}

async function removeStale(fs: FileSystem, lockPath: string, stale: string, token: string): Promise<void> {
  const aside = `${lockPath}.stale.${token}`
  try {
    await fs.rename(lockPath, aside)
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return
    throw err
  }
  const moved = await readOrEmpty(fs, aside)
  // Someone took the lock between our read and our rename: put theirs back.
  if (moved !== undefined && moved !== stale) await fs.link(aside, lockPath).catch(() => undefined)
  await fs.unlink(aside).catch(() => undefined)
}
