/**
 * Online backups: a point-in-time copy of the member's database in etcd's file format
 * (to-bolt.ts), written to a temporary file in `<data-dir>/member/` while the member keeps
 * serving, then read back in chunks for Maintenance.Snapshot and removed when the call ends.
 * Copies left behind by a crash are removed when the member starts (`removeLeftovers`).
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Backend } from '../backend/backend.js'
import type { Logger } from '../log.js'
import { backendToBolt } from './to-bolt.js'

const TEMP = /^backup-\d+-\d+\.db\.tmp$/
const READ_BYTES = 1024 * 1024

/** A copy of the database ready to send. */
export interface DatabaseCopy {
  readonly size: number
  /** Main revision of the last record of the copy's key bucket. */
  readonly revision: number
  /** The copy's bytes, in pieces of at most `pieceBytes`. */
  chunks(pieceBytes: number, signal?: AbortSignal): AsyncIterable<Buffer>
  /** Removes the copy. */
  close(): Promise<void>
}

export class OnlineBackups {
  private seq = 0

  constructor(
    private readonly dir: string,
    private readonly backend: () => Backend,
    private readonly log: Logger,
  ) {}

  /** Where a member's temporary copies go. */
  static dirOf(dataDir: string): string {
    return path.join(dataDir, 'member')
  }

  /** Removes temporary copies a previous run left behind. */
  static async removeLeftovers(dir: string): Promise<string[]> {
    const names = await fs.readdir(dir).catch(() => [] as string[])
    const gone = names.filter((n) => TEMP.test(n))
    for (const n of gone) await fs.rm(path.join(dir, n), { force: true })
    return gone
  }

  /** Takes a copy of the database as it is now. */
  async take(signal?: AbortSignal): Promise<DatabaseCopy> {
    const file = path.join(this.dir, `backup-${process.pid}-${++this.seq}.db.tmp`)
    const started = Date.now()
    let result
    try {
      result = await backendToBolt(this.backend(), file, { signal })
    } catch (err) {
      await fs.rm(file, { force: true })
      throw err
    }
    this.log.info('wrote database snapshot', {
      path: file,
      'total-bytes': result.size,
      revision: result.revision,
      took: `${Date.now() - started}ms`,
    })
    return new FileCopy(file, result.size, result.revision)
  }
}

class FileCopy implements DatabaseCopy {
  private closed: Promise<void> | undefined

  constructor(
    private readonly file: string,
    readonly size: number,
    readonly revision: number,
  ) {}

  async *chunks(pieceBytes: number, signal?: AbortSignal): AsyncIterable<Buffer> {
    const fh = await fs.open(this.file, 'r')
    const readAt = async (pos: number): Promise<Buffer> => {
      const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, this.size - pos))
      let got = 0
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, pos + got)
        if (bytesRead === 0) throw new Error(`snapshot: ${this.file} is shorter than ${this.size} bytes`)
        got += bytesRead
      }
      return buf
    }
    try {
      // The next piece of the file is read while the one before is sent.
      let pos = 0
      let reading = this.size > 0 ? readAt(0) : undefined
      while (reading !== undefined) {
        const buf = await reading
        pos += buf.length
        reading = pos < this.size ? readAt(pos) : undefined
        // Awaited next; if the send stops first, fh.close() waits for it.
        reading?.catch(() => {})
        for (let off = 0; off < buf.length; off += pieceBytes) {
          signal?.throwIfAborted()
          yield buf.subarray(off, off + pieceBytes)
        }
      }
    } finally {
      await fh.close()
    }
  }

  close(): Promise<void> {
    this.closed ??= fs.rm(this.file, { force: true })
    return this.closed
  }
}
