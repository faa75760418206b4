/**
 * Raft snapshot files in `<data-dir>/member/snap/`, named `%016x-%016x.snap` (term, index).
 * Saved atomically (temporary file, fsync, rename, directory fsync); loading takes the newest
 * valid file and renames damaged ones to `*.broken` so they are not tried again; purge keeps
 * the newest `--max-snapshots`.
 */
import path from 'node:path'
import type { FileSystem } from '../wal/fs.js'
import { isErrno, mkdirDurable, nodeFs, withoutSync, writeFully } from '../wal/fs.js'
import { decodeSnapshotFile, encodeSnapshotFile } from './format.js'
import type { RaftSnapshot } from './types.js'

export interface SnapshotFileInfo {
  term: number
  index: number
  name: string
}

export interface SnapshotterOptions {
  fs?: FileSystem
  /** Told about each damaged file set aside (the server logs it). */
  onBroken?: (file: string, reason: string) => void
  /** `--unsafe-no-fsync`: write snapshot files as usual but skip every fsync. */
  unsafeNoFsync?: boolean
}

const NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/
const TMP = '.snap.tmp'

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0')
}

export function snapshotName(term: number, index: number): string {
  return `${hex16(term)}-${hex16(index)}.snap`
}

export class Snapshotter {
  private readonly fs: FileSystem

  constructor(
    readonly dir: string,
    private readonly opts: SnapshotterOptions = {},
  ) {
    const fs = opts.fs ?? nodeFs
    this.fs = opts.unsafeNoFsync ? withoutSync(fs) : fs
  }

  /**
   * Writes the snapshot durably and returns its path; an empty snapshot (index 0) is not
   * written (undefined).
   */
  async save(snap: RaftSnapshot): Promise<string | undefined> {
    if (snap.metadata.index === 0) return undefined
    const buf = encodeSnapshotFile(snap)
    await mkdirDurable(this.fs, this.dir)
    const name = snapshotName(snap.metadata.term, snap.metadata.index)
    const final = path.join(this.dir, name)
    const tmp = `${final}${TMP}`
    const file = await this.fs.open(tmp, 'w')
    try {
      await writeFully(file, buf, 0)
      await file.sync()
    } finally {
      await file.close()
    }
    await this.fs.rename(tmp, final)
    await this.fs.syncDir(this.dir)
    return final
  }

  /** The directory's entries; none when it does not exist yet. */
  private async names(): Promise<string[]> {
    try {
      return await this.fs.readdir(this.dir)
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return []
      throw err
    }
  }

  /** Snapshot files, newest (highest index, then term) first. */
  async list(): Promise<SnapshotFileInfo[]> {
    const names = await this.names()
    const out: SnapshotFileInfo[] = []
    for (const name of names) {
      const m = NAME.exec(name)
      if (m) out.push({ term: Number.parseInt(m[1]!, 16), index: Number.parseInt(m[2]!, 16), name })
    }
    return out.sort((a, b) => b.index - a.index || b.term - a.term)
  }

  /**
   * The newest valid snapshot that `accept` agrees to (e.g. one the WAL has a marker for),
   * or undefined. Damaged files are renamed to `*.broken` and skipped.
   */
  async loadNewest(accept?: (s: { index: number; term: number }) => boolean): Promise<RaftSnapshot | undefined> {
    for (const info of await this.list()) {
      if (accept && !accept(info)) continue
      const file = path.join(this.dir, info.name)
      let snap: RaftSnapshot
      try {
        snap = decodeSnapshotFile(await this.fs.readFile(file))
        if (snap.metadata.index !== info.index || snap.metadata.term !== info.term) {
          throw new Error(`holds index ${snap.metadata.index} term ${snap.metadata.term}, not what its name says`)
        }
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue
        const reason = err instanceof Error ? err.message : String(err)
        await this.fs.rename(file, `${file}.broken`)
        this.opts.onBroken?.(file, reason)
        continue
      }
      return snap
    }
    return undefined
  }

  /**
   * The newest valid snapshot whose index AND term match one of `markers` (the WAL's snapshot
   * markers, from walSnapshots()), or undefined. A snapshot file without a marker (a crash
   * between saving the file and writing the marker) is skipped and left in place.
   */
  loadNewestAvailable(markers: ReadonlyArray<{ index: number; term: number }>): Promise<RaftSnapshot | undefined> {
    const wanted = new Set(markers.map((m) => `${m.index}/${m.term}`))
    return this.loadNewest((s) => wanted.has(`${s.index}/${s.term}`))
  }

  /** Removes all but the newest `maxSnapshots` snapshot files (0: keep all); returns their names. */
  async purge(maxSnapshots: number): Promise<string[]> {
    if (maxSnapshots <= 0) return []
    const removed: string[] = []
    for (const info of (await this.list()).slice(maxSnapshots)) {
      await this.fs.unlink(path.join(this.dir, info.name))
      removed.push(info.name)
    }
    return removed
  }

  /**
   * Removes temporary files of saves interrupted by a crash. Call at startup, before any
   * save(): it would remove the temporary file of a save in progress.
   */
  async removeTemporaries(): Promise<string[]> {
    const names = await this.names()
    const tmps = names.filter((n) => n.endsWith(TMP))
    for (const name of tmps) await this.fs.unlink(path.join(this.dir, name))
    return tmps
  }
}
