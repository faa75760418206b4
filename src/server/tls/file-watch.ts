/**
 * Notices when files change: polls their stat (inode, size, mtime, ctime) every interval.
 * Polling follows renames and symlink swaps (how cert-manager and kubelet rotate files),
 * which fs.watch on the old inode would miss.
 */
import fs from 'node:fs/promises'

export type FileStamp = string

async function stamp(file: string): Promise<FileStamp> {
  try {
    const s = await fs.stat(file)
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`
  } catch (err) {
    return `missing:${(err as NodeJS.ErrnoException).code ?? ''}`
  }
}

export async function stamps(files: readonly string[]): Promise<FileStamp[]> {
  return Promise.all(files.map(stamp))
}

export class FileWatcher {
  private timer?: NodeJS.Timeout
  private busy = false

  /** `onChange` runs (never concurrently) after any file's stamp differs from `initial`. */
  constructor(
    private readonly files: readonly string[],
    private last: FileStamp[],
    private readonly onChange: () => Promise<void>,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => void this.check(), intervalMs)
    this.timer.unref()
  }

  private async check(): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      const now = await stamps(this.files)
      if (now.some((s, i) => s !== this.last[i])) {
        this.last = now
        await this.onChange()
      }
    } finally {
      this.busy = false
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }
}
