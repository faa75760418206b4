/**
 * Positioned reads of a file's pages through a small block cache, so a large database is
 * never read at once. A source can also wrap a Buffer (tests, in-memory files).
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

/**
 * A source read through aligned blocks kept in a least-recently-used cache: pages of a bbolt
 * file are mostly read in file order, so one positioned read serves many pages. A read that
 * spans blocks goes to the source directly.
 */
export class BlockCache implements ByteSource {
  private readonly blocks = new Map<number, Buffer>()
  private readonly capacity: number

  constructor(
    private readonly src: ByteSource,
    private readonly blockSize = 64 * 1024,
    cacheBytes = 4 * 1024 * 1024,
  ) {
    this.capacity = Math.max(1, Math.floor(cacheBytes / blockSize))
  }

  get size(): number {
    return this.src.size
  }

  read(position: number, length: number): Buffer {
    const index = Math.floor(position / this.blockSize)
    const start = index * this.blockSize
    if (position + length > start + this.blockSize) return this.src.read(position, length)
    let block = this.blocks.get(index)
    if (block) {
      this.blocks.delete(index)
    } else {
      block = this.src.read(start, Math.min(this.blockSize, this.src.size - start))
    }
    this.blocks.set(index, block)
    while (this.blocks.size > this.capacity) this.blocks.delete(this.blocks.keys().next().value as number)
    const off = position - start
    if (off + length > block.length) throw new Error(`bbolt: short read at offset ${start + block.length}`)
    return block.subarray(off, off + length)
  }

  close(): void {
    this.blocks.clear()
    this.src.close()
  }
}
