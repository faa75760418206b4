/**
 * The file-system operations the WAL and the snapshotter use, behind an interface so that
 * tests can count fdatasyncs, delay them or make them fail. `nodeFs` is the real one
 * (node:fs/promises, all asynchronous).
 */
import fs, { constants as fsConstants } from 'node:fs'
import fsp, { type FileHandle } from 'node:fs/promises'
import path from 'node:path'

export interface StoredFile {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>
  /** fdatasync(2) */
  datasync(): Promise<void>
  /**
   * Writes all of `buffer` at `position` and resolves once it is as durable as after
   * fdatasync(2), in one call (through a second descriptor of the file opened with O_DSYNC):
   * one trip to the I/O thread pool instead of two. Files without it are written, then
   * fdatasync'ed.
   */
  writeDurable?(buffer: Uint8Array, position: number): Promise<void>
  /** fsync(2) */
  sync(): Promise<void>
  truncate(length: number): Promise<void>
  stat(): Promise<{ size: number }>
  close(): Promise<void>
}

export interface FileSystem {
  /** `flags` as in fs.open: 'r', 'r+', 'wx+', 'w' … */
  open(path: string, flags: string): Promise<StoredFile>
  readFile(path: string): Promise<Buffer>
  writeFile(path: string, data: Uint8Array | string): Promise<void>
  readdir(path: string): Promise<string[]>
  rename(from: string, to: string): Promise<void>
  link(existing: string, newPath: string): Promise<void>
  unlink(path: string): Promise<void>
  mkdir(path: string): Promise<void>
  /** Removes a file or a whole tree; no error if it does not exist. */
  rmrf(path: string): Promise<void>
  /** Makes the directory's entries (creations, renames, removals) durable. */
  syncDir(path: string): Promise<void>
}

/**
 * A file of node:fs/promises. `writeDurable` reopens the open file (by /proc/self/fd, so a
 * rename in between does not matter) with O_WRONLY | O_DSYNC on first use; where that is not
 * possible it writes, then fdatasyncs.
 */
class NodeFile implements StoredFile {
  private dsync: Promise<FileHandle | undefined> | undefined
  /** Writes to the O_DSYNC descriptor once it is open: later writes start without waiting a turn. */
  private dsyncWriter: Pick<StoredFile, 'write'> | undefined

  constructor(private readonly h: FileHandle) {}

  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    return this.h.write(buffer, offset, length, position)
  }
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return this.h.read(buffer, offset, length, position)
  }
  datasync(): Promise<void> {
    return this.h.datasync()
  }
  sync(): Promise<void> {
    return this.h.sync()
  }
  truncate(length: number): Promise<void> {
    return this.h.truncate(length)
  }
  stat(): Promise<{ size: number }> {
    return this.h.stat()
  }

  async writeDurable(buffer: Uint8Array, position: number): Promise<void> {
    if (this.dsyncWriter) return writeFully(this.dsyncWriter, buffer, position)
    this.dsync ??= fsp
      .open(`/proc/self/fd/${this.h.fd}`, fsConstants.O_WRONLY | fsConstants.O_DSYNC)
      .catch(() => undefined)
    const d = await this.dsync
    if (d) {
      this.dsyncWriter ??= descriptorWriter(d.fd)
      return writeFully(this.dsyncWriter, buffer, position)
    }
    await writeFully(this, buffer, position)
    await this.h.datasync()
  }

  async close(): Promise<void> {
    const d = await this.dsync
    this.dsync = this.dsyncWriter = undefined
    await d?.close().catch(() => undefined)
    await this.h.close()
  }
}

/**
 * Writes to a descriptor through node's callback API (fs.write). A FileHandle's write (the
 * promise API) also makes two ArrayBuffers per call (its request's stat arrays), which V8
 * frees one by one in its next young-generation collection: two per WAL write. The caller
 * keeps the descriptor open until its writes are done (the WAL writes one batch at a time,
 * and closes a file only after its last write).
 */
function descriptorWriter(fd: number): Pick<StoredFile, 'write'> {
  return {
    write: (buffer, offset, length, position) =>
      new Promise((resolve, reject) => {
        fs.write(fd, buffer, offset, length, position, (err, bytesWritten) =>
          err ? reject(err) : resolve({ bytesWritten }),
        )
      }),
  }
}

export const nodeFs: FileSystem = {
  open: async (path, flags) => new NodeFile(await fsp.open(path, flags)),
  readFile: (path) => fsp.readFile(path),
  writeFile: (path, data) => fsp.writeFile(path, data),
  readdir: (path) => fsp.readdir(path),
  rename: (from, to) => fsp.rename(from, to),
  link: (existing, newPath) => fsp.link(existing, newPath),
  unlink: (path) => fsp.unlink(path),
  mkdir: async (path) => {
    await fsp.mkdir(path, { recursive: true, mode: 0o700 })
  },
  rmrf: (path) => fsp.rm(path, { recursive: true, force: true }),
  syncDir: async (path) => {
    const dir = await fsp.open(path, 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  },
}

/**
 * `fs` with fsync, fdatasync and directory syncs turned into no-ops: everything is still
 * written, nothing is forced to the disk (`--unsafe-no-fsync`; a crash of the machine can lose
 * or tear anything written).
 */
export function withoutSync(fs: FileSystem): FileSystem {
  const skip = async (): Promise<void> => undefined
  return {
    ...fs,
    open: async (p, flags) => {
      const f = await fs.open(p, flags)
      return {
        write: (b, o, l, pos) => f.write(b, o, l, pos),
        read: (b, o, l, pos) => f.read(b, o, l, pos),
        datasync: skip,
        sync: skip,
        truncate: (n) => f.truncate(n),
        stat: () => f.stat(),
        close: () => f.close(),
      }
    },
    syncDir: skip,
  }
}

/** Writes all of `buffer` at `position`, looping over short writes. */
export async function writeFully(file: Pick<StoredFile, 'write'>, buffer: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < buffer.length) {
    const { bytesWritten } = await file.write(buffer, done, buffer.length - done, position + done)
    if (bytesWritten <= 0) throw new Error('write made no progress')
    done += bytesWritten
  }
}

const ZERO_CHUNK = Buffer.alloc(1 << 20)

/** Writes zeros over [from, to) in chunks of at most 1 MiB. */
export async function writeZeros(file: StoredFile, from: number, to: number): Promise<void> {
  for (let pos = from; pos < to; pos += ZERO_CHUNK.length) {
    const n = Math.min(ZERO_CHUNK.length, to - pos)
    await writeFully(file, ZERO_CHUNK.subarray(0, n), pos)
  }
}

/**
 * mkdir -p that also makes the new directories' entries durable: fsyncs the parent of each
 * directory it creates, top down (for the data dir, member dir, wal and snap dirs). Nothing
 * is fsync'ed when `dir` exists.
 */
export async function mkdirDurable(fs: FileSystem, dir: string): Promise<void> {
  const missing: string[] = []
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      await fs.readdir(d)
      break
    } catch (err) {
      if (!isErrno(err, 'ENOENT') || d === path.dirname(d)) throw err
      missing.push(d)
    }
  }
  if (missing.length === 0) return
  await fs.mkdir(dir)
  for (const d of missing.reverse()) await fs.syncDir(path.dirname(d))
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code
}
