/**
 * Positioned reads of a file's pages, with a small LRU cache, so a large database is never
 * read at once. A source can also wrap a Buffer (tests, in-memory files).
 */
import fs from 'node:fs'

export interface ByteSource {
  readonly size: number
  /** Exactly `length` bytes at `position`, or an error if the source is shorter. */
  read(position: number, length: number): Buffer
  close(): void
}

export class FileSource implements ByteSource {
  readonly size: number
  private fd: number | undefined

  constructor(path: string) {
    this.fd = fs.openSync(path, 'r')
    this.size = fs.fstatSync(this.fd).size
  }

  read(position: number, length: number): Buffer {
    if (this.fd === undefined) throw new Error('bbolt: file is closed')
    const buf = Buffer.allocUnsafe(length)
    let done = 0
    while (done < length) {
      const n = fs.readSync(this.fd, buf, done, length - done, position + done)
      if (n === 0) throw new Error(`bbolt: short read at offset ${position + done}`)
      done += n
    }
    return buf
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd)
    this.fd = undefined
  }
}

export class BufferSource implements ByteSource {
  constructor(private readonly buf: Buffer) {}

  get size(): number {
    return this.buf.length
  }

  read(position: number, length: number): Buffer {
    if (position + length > this.buf.length) throw new Error(`bbolt: short read at offset ${this.buf.length}`)
    return this.buf.subarray(position, position + length)
  }

  close(): void {}
}

/** A least-recently-used cache of pages (a page with its overflow pages is one entry). */
export class PageCache {
  private readonly map = new Map<bigint, Buffer>()

  constructor(private readonly capacity: number) {}

  get(id: bigint): Buffer | undefined {
    const b = this.map.get(id)
    if (b !== undefined) {
      this.map.delete(id)
      this.map.set(id, b)
    }
    return b
  }

  set(id: bigint, b: Buffer): void {
    this.map.delete(id)
    this.map.set(id, b)
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as bigint)
  }
}
