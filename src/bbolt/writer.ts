/**
 * Writes a new bbolt database from buckets of sorted key/value pairs: a compact, freshly built
 * B+tree per bucket (leaves filled to the fill percent, branch pages above them, overflow pages
 * for large values, small buckets inline as bbolt stores them), an empty freelist, and the two
 * meta pages. Pages are written as they fill, so the input can be larger than memory.
 */
import fs from 'node:fs'
import {
  BRANCH_ELEMENT_SIZE,
  BRANCH_PAGE,
  BUCKET_HEADER_SIZE,
  BUCKET_LEAF_FLAG,
  FREELIST_PAGE,
  LEAF_ELEMENT_SIZE,
  LEAF_PAGE,
  MAGIC,
  PAGE_HEADER_SIZE,
  VERSION,
  isValidPageSize,
  writeBucketHeader,
  writeMetaPage,
  writePageHeader,
} from './page.js'

/** bbolt's limits (bucket.go). */
export const MAX_KEY_SIZE = 32768
export const MAX_VALUE_SIZE = 2 ** 31 - 2

/** What etcd's defrag uses for its sequential rewrite (mvcc/backend defragdb). */
export const DEFAULT_FILL_PERCENT = 0.9

export type Bytes = Buffer | Uint8Array | string
export type KeyValue = readonly [Bytes, Bytes]

/** Buckets by name; each an iterable of [key, value] in strictly increasing key order. */
export type BucketsInput = Iterable<readonly [Bytes, Iterable<KeyValue>]>

export interface WriteOptions {
  /** A power of two from 512 to 65536 (default 4096). */
  pageSize?: number
  /** How full a page is filled before the next one starts, 0.1 to 1.0 (default 0.9). */
  fillPercent?: number
  /** The txid of the newer meta page (default 1); the other meta page gets txid - 1. */
  txid?: bigint | number
}

export interface WriteResult {
  pageSize: number
  /** The high-water mark: pages in the file. */
  pages: number
  /** Bytes written (pages × page size). */
  size: number
  txid: bigint
  /** Key/value pairs written, over all buckets. */
  entries: number
}

/** Where built pages go: each written once, at its page id. */
export interface PageSink {
  write(pgid: number, page: Buffer): void
}

function toBuffer(b: Bytes): Buffer {
  if (typeof b === 'string') return Buffer.from(b)
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}

interface Item {
  key: Buffer
  value: Buffer
  flags: number
}

/** Allocates page ids in file order. */
class Allocator {
  next = 2

  take(pages: number): number {
    const id = this.next
    this.next += pages
    return id
  }
}

/** Encodes a leaf or branch page (branch items carry the child pgid in `value` as 8 bytes LE). */
function encodePage(id: number, leaf: boolean, items: readonly Item[], pageSize: number | undefined): Buffer {
  const elementSize = leaf ? LEAF_ELEMENT_SIZE : BRANCH_ELEMENT_SIZE
  let bytes = PAGE_HEADER_SIZE + items.length * elementSize
  for (const it of items) bytes += it.key.length + (leaf ? it.value.length : 0)
  const pages = pageSize === undefined ? 1 : Math.ceil(bytes / pageSize)
  const buf = Buffer.alloc(pageSize === undefined ? bytes : pages * pageSize)
  writePageHeader(buf, {
    id: BigInt(id),
    flags: leaf ? LEAF_PAGE : BRANCH_PAGE,
    count: items.length,
    overflow: pages - 1,
  })
  let data = PAGE_HEADER_SIZE + items.length * elementSize
  items.forEach((it, i) => {
    const el = PAGE_HEADER_SIZE + i * elementSize
    if (leaf) {
      buf.writeUInt32LE(it.flags, el)
      buf.writeUInt32LE(data - el, el + 4)
      buf.writeUInt32LE(it.key.length, el + 8)
      buf.writeUInt32LE(it.value.length, el + 12)
      it.key.copy(buf, data)
      it.value.copy(buf, data + it.key.length)
      data += it.key.length + it.value.length
    } else {
      buf.writeUInt32LE(data - el, el)
      buf.writeUInt32LE(it.key.length, el + 4)
      it.value.copy(buf, el + 8, 0, 8)
      it.key.copy(buf, data)
      data += it.key.length
    }
  })
  return buf
}

/** A page-id reference for a branch element. */
function childRef(key: Buffer, pgid: number): Item {
  const v = Buffer.alloc(8)
  v.writeBigUInt64LE(BigInt(pgid))
  return { key, value: v, flags: 0 }
}

/**
 * Builds one B+tree level by level: leaf items stream in (their bytes staged in one arena per
 * page, not one allocation per item), full pages are written out, and `finish` writes the
 * branch levels and returns the root page id.
 */
class TreeBuilder {
  private arena: Buffer
  private arenaLen = 0
  private ksizes: number[] = []
  private vsizes: number[] = []
  private flags: number[] = []
  private pendingSize = PAGE_HEADER_SIZE
  private children: Item[] = []
  private readonly threshold: number

  constructor(
    private readonly sink: PageSink,
    private readonly alloc: Allocator,
    private readonly pageSize: number,
    fillPercent: number,
  ) {
    this.threshold = Math.floor(pageSize * fillPercent)
    this.arena = Buffer.allocUnsafe(pageSize)
  }

  add(key: Buffer, value: Buffer, flags: number): void {
    const size = LEAF_ELEMENT_SIZE + key.length + value.length
    const n = this.ksizes.length
    if (n > 0 && (this.pendingSize + size > this.threshold || n >= 0xfffe)) this.flushLeaf()
    const need = this.arenaLen + key.length + value.length
    if (need > this.arena.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, 2 * this.arena.length))
      this.arena.copy(grown, 0, 0, this.arenaLen)
      this.arena = grown
    }
    key.copy(this.arena, this.arenaLen)
    value.copy(this.arena, this.arenaLen + key.length)
    this.arenaLen = need
    this.ksizes.push(key.length)
    this.vsizes.push(value.length)
    this.flags.push(flags)
    this.pendingSize += size
  }

  private writeOut(page: Buffer): number {
    const id = this.alloc.take(page.length / this.pageSize)
    page.writeBigUInt64LE(BigInt(id), 0)
    this.sink.write(id, page)
    return id
  }

  private flushLeaf(): void {
    const n = this.ksizes.length
    const dataStart = PAGE_HEADER_SIZE + n * LEAF_ELEMENT_SIZE
    const pages = Math.max(1, Math.ceil((dataStart + this.arenaLen) / this.pageSize))
    const page = Buffer.alloc(pages * this.pageSize)
    writePageHeader(page, { id: 0n, flags: LEAF_PAGE, count: n, overflow: pages - 1 })
    let data = dataStart
    for (let i = 0; i < n; i++) {
      const el = PAGE_HEADER_SIZE + i * LEAF_ELEMENT_SIZE
      page.writeUInt32LE(this.flags[i], el)
      page.writeUInt32LE(data - el, el + 4)
      page.writeUInt32LE(this.ksizes[i], el + 8)
      page.writeUInt32LE(this.vsizes[i], el + 12)
      data += this.ksizes[i] + this.vsizes[i]
    }
    this.arena.copy(page, dataStart, 0, this.arenaLen)
    const firstKey = Buffer.from(page.subarray(dataStart, dataStart + this.ksizes[0]))
    this.children.push(childRef(firstKey, this.writeOut(page)))
    this.arenaLen = 0
    this.ksizes = []
    this.vsizes = []
    this.flags = []
    this.pendingSize = PAGE_HEADER_SIZE
    if (this.arena.length > 4 * this.pageSize) this.arena = Buffer.allocUnsafe(this.pageSize)
  }

  /** Writes what is left and the branch levels; returns the root page id. */
  finish(): number {
    if (this.ksizes.length > 0 || this.children.length === 0) {
      if (this.ksizes.length === 0) return this.writeOut(encodePage(0, true, [], this.pageSize))
      this.flushLeaf()
    }
    let level = this.children
    while (level.length > 1) {
      const next: Item[] = []
      let page: Item[] = []
      let size = PAGE_HEADER_SIZE
      const flush = () => {
        next.push(childRef(page[0].key, this.writeOut(encodePage(0, false, page, this.pageSize))))
        page = []
        size = PAGE_HEADER_SIZE
      }
      for (const child of level) {
        const s = BRANCH_ELEMENT_SIZE + child.key.length
        if (page.length > 0 && (size + s > this.threshold || page.length >= 0xfffe)) flush()
        page.push(child)
        size += s
      }
      flush()
      level = next
    }
    return Number(level[0].value.readBigUInt64LE(0))
  }
}

/**
 * One bucket being written, entry by entry in strictly increasing key order. Entries are
 * staged until they outgrow an inline bucket (a quarter page, as bbolt inlines), then go to
 * a tree whose full pages are written as they fill.
 */
export class BucketBuilder {
  private buffered: Item[] | undefined = []
  private inlineSize = PAGE_HEADER_SIZE
  private tree: TreeBuilder | undefined
  // A copy of the previous key, for the order check (the caller may reuse its buffers).
  private readonly prevBuf = Buffer.allocUnsafe(MAX_KEY_SIZE)
  private prev: Buffer | undefined
  count = 0

  constructor(
    private readonly sink: PageSink,
    private readonly alloc: Allocator,
    private readonly pageSize: number,
    private readonly fillPercent: number,
    private readonly where: string,
    private readonly onEnd: (value: Buffer, count: number) => void = () => {},
  ) {}

  add(k: Bytes, v: Bytes): void {
    const key = toBuffer(k)
    const value = toBuffer(v)
    const where = this.where
    if (key.length === 0) throw new Error(`bbolt writer: ${where}: empty key`)
    if (key.length > MAX_KEY_SIZE)
      throw new Error(`bbolt writer: ${where}: key of ${key.length} bytes exceeds ${MAX_KEY_SIZE}`)
    if (value.length > MAX_VALUE_SIZE)
      throw new Error(`bbolt writer: ${where}: value of ${value.length} bytes exceeds ${MAX_VALUE_SIZE}`)
    if (this.prev && Buffer.compare(this.prev, key) >= 0)
      throw new Error(
        `bbolt writer: ${where}: keys out of order (${this.prev.toString('hex')} then ${key.toString('hex')})`,
      )
    key.copy(this.prevBuf)
    this.prev = this.prevBuf.subarray(0, key.length)
    this.count++
    if (this.buffered) {
      // Copies: the caller may reuse its buffers once the next entry is asked for.
      this.buffered.push({ key: Buffer.from(key), value: Buffer.from(value), flags: 0 })
      this.inlineSize += LEAF_ELEMENT_SIZE + key.length + value.length
      if (this.inlineSize <= this.pageSize / 4) return
      this.tree = new TreeBuilder(this.sink, this.alloc, this.pageSize, this.fillPercent)
      for (const it of this.buffered) this.tree.add(it.key, it.value, it.flags)
      this.buffered = undefined
    } else {
      this.tree!.add(key, value, 0)
    }
  }

  /** Writes what is left; returns the bucket's value in its parent (header, plus the inline page). */
  end(): Buffer {
    if (this.buffered) {
      const page = encodePage(0, true, this.buffered, undefined)
      const value = Buffer.alloc(BUCKET_HEADER_SIZE + page.length)
      writeBucketHeader(value, { root: 0n, sequence: 0n })
      page.copy(value, BUCKET_HEADER_SIZE)
      this.onEnd(value, this.count)
      return value
    }
    const root = this.tree!.finish()
    const value = Buffer.alloc(BUCKET_HEADER_SIZE)
    writeBucketHeader(value, { root: BigInt(root), sequence: 0n })
    this.onEnd(value, this.count)
    return value
  }
}

/**
 * Builds a bbolt database bucket by bucket, pushing entries one at a time, so that a caller
 * can feed it from an asynchronous source. Buckets may be written in any order (each once,
 * one at a time): their pages go out as they fill, and the root that names them in key order
 * is written by `finish`, with the freelist and the meta pages.
 */
export class BoltBuilder {
  readonly pageSize: number
  private readonly fillPercent: number
  private readonly txid: bigint
  private readonly alloc = new Allocator()
  private readonly done: { name: Buffer; value: Buffer }[] = []
  private current: BucketBuilder | undefined
  private entries = 0

  constructor(
    private readonly sink: PageSink,
    opts: WriteOptions = {},
  ) {
    this.pageSize = opts.pageSize ?? 4096
    if (!isValidPageSize(this.pageSize))
      throw new Error(`bbolt writer: page size ${this.pageSize} is not a power of two from 512 to 65536`)
    this.fillPercent = Math.min(1, Math.max(0.1, opts.fillPercent ?? DEFAULT_FILL_PERCENT))
    this.txid = BigInt(opts.txid ?? 1)
    if (this.txid < 1n) throw new Error('bbolt writer: txid must be at least 1')
  }

  /** Starts the next bucket (the previous one must be ended). */
  bucket(name: Bytes): BucketBuilder {
    if (this.current) throw new Error('bbolt writer: a bucket is still open')
    const n = Buffer.from(toBuffer(name))
    if (n.length === 0) throw new Error('bbolt writer: empty bucket name')
    if (this.done.some((d) => d.name.equals(n))) throw new Error(`bbolt writer: bucket ${n} given twice`)
    const b = new BucketBuilder(
      this.sink,
      this.alloc,
      this.pageSize,
      this.fillPercent,
      `bucket ${n}`,
      (value, count) => {
        this.done.push({ name: n, value })
        this.entries += count
        this.current = undefined
      },
    )
    this.current = b
    return b
  }

  /** Writes the root, the freelist and the meta pages. */
  finish(): WriteResult {
    if (this.current) throw new Error('bbolt writer: a bucket is still open')
    const { pageSize, alloc, sink, txid } = this
    const root = new TreeBuilder(sink, alloc, pageSize, this.fillPercent)
    for (const b of [...this.done].sort((a, c) => Buffer.compare(a.name, c.name)))
      root.add(b.name, b.value, BUCKET_LEAF_FLAG)
    const rootPgid = root.finish()

    // bbolt reads the first 4 KiB of a file to find its page size: pad small files with free
    // (zeroed) pages, listed in the freelist.
    const freelistPgid = alloc.take(1)
    const free: number[] = []
    while (alloc.next * pageSize < 4096) free.push(alloc.take(1))
    const fl = Buffer.alloc(pageSize)
    writePageHeader(fl, { id: BigInt(freelistPgid), flags: FREELIST_PAGE, count: free.length, overflow: 0 })
    free.forEach((id, i) => fl.writeBigUInt64LE(BigInt(id), PAGE_HEADER_SIZE + 8 * i))
    sink.write(freelistPgid, fl)

    const pages = alloc.next
    for (const t of [txid - 1n, txid]) {
      const p = Buffer.alloc(pageSize)
      writeMetaPage(p, {
        magic: MAGIC,
        version: VERSION,
        pageSize,
        flags: 0,
        root: { root: BigInt(rootPgid), sequence: 0n },
        freelist: BigInt(freelistPgid),
        pgid: BigInt(pages),
        txid: t,
      })
      sink.write(Number(t % 2n), p)
    }
    return { pageSize, pages, size: pages * pageSize, txid, entries: this.entries }
  }
}

function build(buckets: BucketsInput, sink: PageSink, opts: WriteOptions): WriteResult {
  const builder = new BoltBuilder(sink, opts)
  const named = [...buckets].map(([name, entries]) => ({ name: Buffer.from(toBuffer(name)), entries }))
  named.sort((a, b) => Buffer.compare(a.name, b.name))
  for (const b of named) {
    const bucket = builder.bucket(b.name)
    for (const [k, v] of b.entries) bucket.add(k, v)
    bucket.end()
  }
  return builder.finish()
}

/** Writes a new bbolt file at `path` (replacing any file there). */
export function writeBolt(path: string, buckets: BucketsInput, opts: WriteOptions = {}): WriteResult {
  const fd = fs.openSync(path, 'w')
  try {
    const pageSize = opts.pageSize ?? 4096
    const sink = new CoalescingFileSink(fd, pageSize)
    const result = build(buckets, sink, opts)
    sink.flush()
    fs.ftruncateSync(fd, result.size)
    fs.fsyncSync(fd)
    return result
  } finally {
    fs.closeSync(fd)
  }
}

/** Builds a bbolt database in memory. */
export function buildBolt(buckets: BucketsInput, opts: WriteOptions = {}): Buffer {
  const pageSize = opts.pageSize ?? 4096
  const chunks: { pos: number; page: Buffer }[] = []
  const result = build(buckets, { write: (pgid, page) => chunks.push({ pos: pgid * pageSize, page }) }, opts)
  const out = Buffer.alloc(result.size)
  for (const c of chunks) c.page.copy(out, c.pos)
  return out
}

/** Joins pages written in file order into large writes. */
class CoalescingFileSink implements PageSink {
  private chunks: Buffer[] = []
  private start = 0
  private end = 0

  constructor(
    private readonly fd: number,
    private readonly pageSize: number,
  ) {}

  write(pgid: number, page: Buffer): void {
    const pos = pgid * this.pageSize
    if (this.chunks.length > 0 && pos !== this.end) this.flush()
    if (this.chunks.length === 0) this.start = this.end = pos
    this.chunks.push(page)
    this.end += page.length
    if (this.end - this.start >= 1 << 20) this.flush()
  }

  flush(): void {
    if (this.chunks.length === 0) return
    writeAll(this.fd, this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks), this.start)
    this.chunks = []
  }
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done)
}
