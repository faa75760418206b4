/**
 * Writing a bbolt file from an asynchronous source without blocking the event loop: the
 * builder's pages are held in memory only until the caller calls `flush()` (between chunks
 * of input), which writes them with asynchronous positioned writes, contiguous pages joined.
 */
import fs from 'node:fs/promises'
import { BoltBuilder, type PageSink, type WriteOptions, type WriteResult } from './writer.js'

class QueuedSink implements PageSink {
  chunks: { pos: number; bufs: Buffer[]; len: number }[] = []
  bytes = 0

  constructor(private readonly pageSize: number) {}

  write(pgid: number, page: Buffer): void {
    const pos = pgid * this.pageSize
    const last = this.chunks[this.chunks.length - 1]
    if (last && last.pos + last.len === pos) {
      last.bufs.push(page)
      last.len += page.length
    } else this.chunks.push({ pos, bufs: [page], len: page.length })
    this.bytes += page.length
  }

  take(): { pos: number; bufs: Buffer[]; len: number }[] {
    const out = this.chunks
    this.chunks = []
    this.bytes = 0
    return out
  }
}

export class AsyncBoltFile {
  readonly builder: BoltBuilder
  private readonly sink: QueuedSink

  private constructor(
    private readonly fh: fs.FileHandle,
    readonly path: string,
    opts: WriteOptions,
  ) {
    this.sink = new QueuedSink(opts.pageSize ?? 4096)
    this.builder = new BoltBuilder(this.sink, opts)
  }

  /** Creates (or truncates) the file at `path`. */
  static async create(path: string, opts: WriteOptions = {}): Promise<AsyncBoltFile> {
    const fh = await fs.open(path, 'w', 0o600)
    try {
      return new AsyncBoltFile(fh, path, opts)
    } catch (err) {
      await fh.close()
      throw err
    }
  }

  /** Bytes of built pages not yet written. */
  get pendingBytes(): number {
    return this.sink.bytes
  }

  /** Writes the pages built so far. */
  async flush(): Promise<void> {
    for (const c of this.sink.take()) {
      const buf = c.bufs.length === 1 ? c.bufs[0] : Buffer.concat(c.bufs, c.len)
      let done = 0
      while (done < buf.length) {
        const { bytesWritten } = await this.fh.write(buf, done, buf.length - done, c.pos + done)
        done += bytesWritten
      }
    }
  }

  /** Finishes the database, writes and fsyncs it, and closes the file. */
  async finish(): Promise<WriteResult> {
    const result = this.builder.finish()
    await this.flush()
    await this.fh.truncate(result.size)
    await this.fh.sync()
    await this.fh.close()
    return result
  }

  /** Closes the file without finishing it (the caller removes it). */
  async abort(): Promise<void> {
    this.sink.take()
    await this.fh.close().catch(() => {})
  }
}
