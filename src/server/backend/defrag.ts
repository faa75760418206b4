/**
 * The directories of a defragmentation and its crash recovery. For a database in `db/`:
 *
 *   1. the live data is copied into `db.defrag/`, which is closed and fsynced;
 *   2. `db/` is renamed to `db.defrag-old/` (directory fsynced);
 *   3. `db.defrag/` is renamed to `db/` (directory fsynced);
 *   4. `db.defrag-old/` is removed.
 *
 * `db.defrag-old/` exists only once the copy is complete, so on start-up (recoverDefrag):
 * with `db/` present, leftovers are removed (a crash before step 2 or after step 3); with
 * `db/` missing, `db.defrag/` and `db.defrag-old/` present, step 3 is done (a crash between
 * 2 and 3); with only `db.defrag-old/`, it is put back.
 */
import { open, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'

export function defragDirs(location: string): { tmp: string; old: string } {
  return { tmp: `${location}.defrag`, old: `${location}.defrag-old` }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

/** Finishes or undoes a defragmentation of the database at `location` that a crash interrupted. */
export async function recoverDefrag(location: string): Promise<void> {
  const { tmp, old } = defragDirs(location)
  const [live, copy, prior] = await Promise.all([exists(location), exists(tmp), exists(old)])
  if (!copy && !prior) return
  if (!live && prior) {
    await rename(copy ? tmp : old, location)
    await fsyncDir(path.dirname(location))
  }
  await removeDir(tmp)
  await removeDir(old)
  await fsyncDir(path.dirname(location))
}
