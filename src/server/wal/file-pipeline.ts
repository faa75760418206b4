/**
 * Prepares the next segment file in the background: a temporary file preallocated to the
 * segment size (by writing zeros, so later appends overwrite allocated blocks) and fsync'ed.
 * A cut takes the ready file and renames it; meanwhile the following one is being prepared.
 */
import path from 'node:path'
import type { FileSystem, StoredFile } from './fs.js'
import { writeZeros } from './fs.js'
import { TMP_SUFFIX } from './segment-name.js'

export interface PreparedFile {
  path: string
  file: StoredFile
}

export class FilePipeline {
  private next: Promise<PreparedFile> | undefined
  private ready = false
  private count = 0
  private closed = false
  /** How many times `take()` had to wait for the preallocation to finish. */
  waits = 0

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly size: number,
  ) {
    this.prepareNext()
  }

  /** The prepared file; the caller owns it (renames it, writes to it, closes it). */
  async take(): Promise<PreparedFile> {
    if (this.closed) throw new Error('wal: file pipeline is closed')
    if (!this.ready) this.waits++
    const current = this.next!
    this.prepareNext()
    return current
  }

  /** Stops preparing; removes the file prepared but not taken. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const pending = this.next
    this.next = undefined
    if (!pending) return
    try {
      const f = await pending
      await f.file.close()
      await this.fs.unlink(f.path)
    } catch {
      // A failed preparation leaves nothing worth keeping; open() removes stray temp files.
    }
  }

  private prepareNext(): void {
    this.ready = false
    const p = this.prepare(path.join(this.dir, `${this.count++}${TMP_SUFFIX}`))
    p.then(
      () => {
        if (this.next === p) this.ready = true
      },
      () => undefined,
    )
    this.next = p
  }

  private async prepare(filePath: string): Promise<PreparedFile> {
    const file = await this.fs.open(filePath, 'wx+')
    try {
      await writeZeros(file, 0, this.size)
      await file.sync()
    } catch (err) {
      await file.close().catch(() => undefined)
      await this.fs.unlink(filePath).catch(() => undefined)
      throw err
    }
    return { path: filePath, file }
  }
}
