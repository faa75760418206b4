/**
 * Reads a bbolt database file (an etcd db, or an `etcdctl snapshot save` file: the bbolt file
 * followed by a sha256 trailer). Pages are read with positioned reads and lightly cached, so a
 * large file is never read at once.
 */
import {
  BRANCH_ELEMENT_SIZE,
  BRANCH_PAGE,
  BUCKET_HEADER_SIZE,
  BUCKET_LEAF_FLAG,
  LEAF_ELEMENT_SIZE,
  LEAF_PAGE,
  MAX_PAGE_SIZE,
  META_SIZE,
  MIN_PAGE_SIZE,
  PAGE_HEADER_SIZE,
  PGID_NO_FREELIST,
  isValidPageSize,
  metaProblem,
  pageType,
  readBucketHeader,
  readMeta,
  readPageHeader,
  type BucketHeader,
  type Meta,
} from './page.js'
import { BlockCache, BufferSource, FileSource, type ByteSource } from './page-file.js'
import { BoltFormatError } from './errors.js'
import { SHA256_SIZE, hasChecksum, verifyTrailer } from './trailer.js'

export interface OpenOptions {
  /** Check the sha256 trailer when the file has one (default true), as etcdctl restore does. */
  verifyTrailer?: boolean
  /** Bytes of the file kept in the read cache, in 64 KiB blocks (default 4 MiB). */
  cacheBytes?: number
}

/** One key/value of a bucket, in key order. `bucket` marks a nested bucket (value is its header). */
export interface Entry {
  key: Buffer
  value: Buffer
  bucket: boolean
}

const META_READ = PAGE_HEADER_SIZE + META_SIZE
const DEFAULT_PAGE_SIZE = 4096

export class BoltReader {
  readonly pageSize: number
  /** The meta in use: the valid one with the higher txid. */
  readonly meta: Meta
  /** Which meta page (0 or 1) is in use. */
  readonly metaPage: 0 | 1
  /** Bytes of the file that belong to the database (the file without its sha256 trailer). */
  readonly dataSize: number
  /** The sha256 trailer, when the file has one (size % 512 == 32). */
  readonly trailer: Buffer | undefined
  private readonly src: ByteSource

  private constructor(src: ByteSource, opts: OpenOptions) {
    this.src = src instanceof BufferSource ? src : new BlockCache(src, 64 * 1024, opts.cacheBytes)
    try {
      this.trailer = undefined
      this.dataSize = src.size
      if (hasChecksum(src.size)) {
        this.trailer =
          opts.verifyTrailer === false ? Buffer.from(src.read(src.size - SHA256_SIZE, SHA256_SIZE)) : verifyTrailer(src)
        this.dataSize = src.size - SHA256_SIZE
      }
      const { meta, page } = this.pickMeta()
      this.meta = meta
      this.metaPage = page
      this.pageSize = meta.pageSize
      const need = Number(meta.pgid) * this.pageSize
      if (need > this.dataSize) {
        throw new BoltFormatError(
          `bbolt: file is truncated: meta page ${page} (txid ${meta.txid}) spans ${meta.pgid} pages of ${this.pageSize} bytes (${need} bytes), the file has ${this.dataSize}`,
        )
      }
      if (meta.root.root >= meta.pgid)
        throw new BoltFormatError(`bbolt: root bucket page ${meta.root.root} is above the high water mark ${meta.pgid}`)
      if (meta.freelist !== PGID_NO_FREELIST && meta.freelist >= meta.pgid) {
        throw new BoltFormatError(`bbolt: freelist page ${meta.freelist} is above the high water mark ${meta.pgid}`)
      }
    } catch (err) {
      this.src.close()
      throw err
    }
  }

  static open(path: string, opts: OpenOptions = {}): BoltReader {
    return new BoltReader(new FileSource(path), opts)
  }

  static fromBuffer(buf: Buffer, opts: OpenOptions = {}): BoltReader {
    return new BoltReader(new BufferSource(buf), opts)
  }

  /** The database size as bbolt reports it (tx.Size): high-water mark × page size. */
  get size(): number {
    return Number(this.meta.pgid) * this.pageSize
  }

  close(): void {
    this.src.close()
  }

  private metaAt(offset: number): { meta?: Meta; problem?: string } {
    if (offset + META_READ > this.dataSize) return { problem: 'file size too small' }
    const meta = readMeta(this.src.read(offset, META_READ))
    const problem = metaProblem(meta)
    if (problem) return { problem }
    if (!isValidPageSize(meta.pageSize)) return { problem: `unsupported page size ${meta.pageSize}` }
    return { meta }
  }

  private pickMeta(): { meta: Meta; page: 0 | 1 } {
    if (this.dataSize < 2 * MIN_PAGE_SIZE)
      throw new BoltFormatError(`bbolt: file size too small (${this.dataSize} bytes)`)
    const m0 = this.metaAt(0)
    let m1: { meta?: Meta; problem?: string } = { problem: 'not found' }
    if (m0.meta) {
      m1 = this.metaAt(m0.meta.pageSize)
      if (m1.meta && m1.meta.pageSize !== m0.meta.pageSize)
        m1 = { problem: `page size ${m1.meta.pageSize} differs from meta page 0's ${m0.meta.pageSize}` }
    } else {
      // Meta page 0 is unusable, so its page size is unknown: look for meta page 1 at each size.
      for (let p = MIN_PAGE_SIZE; p <= MAX_PAGE_SIZE && 2 * p <= this.dataSize; p *= 2) {
        const c = this.metaAt(p)
        if (c.meta && c.meta.pageSize === p) {
          m1 = c
          break
        }
      }
      // None found: report meta page 1 where bbolt would look, at the default page size.
      if (!m1.meta && 2 * DEFAULT_PAGE_SIZE <= this.dataSize) m1 = this.metaAt(DEFAULT_PAGE_SIZE)
    }
    const candidates: { meta: Meta; page: 0 | 1 }[] = []
    if (m0.meta) candidates.push({ meta: m0.meta, page: 0 })
    if (m1.meta) candidates.push({ meta: m1.meta, page: 1 })
    if (candidates.length === 0) {
      throw new BoltFormatError(
        `bbolt: invalid database: both meta pages are invalid (meta page 0: ${m0.problem}; meta page 1: ${m1.problem})`,
      )
    }
    candidates.sort((a, b) => (a.meta.txid > b.meta.txid ? -1 : a.meta.txid < b.meta.txid ? 1 : 0))
    if (2 * candidates[0].meta.pageSize > this.dataSize)
      throw new BoltFormatError(`bbolt: file size too small (${this.dataSize} bytes)`)
    return candidates[0]
  }

  /** A page with its overflow pages, checked against the file and the high-water mark. */
  page(id: bigint): Buffer {
    if (id < 2n || id >= this.meta.pgid)
      throw new BoltFormatError(`bbolt: page ${id} is out of range (high water mark ${this.meta.pgid})`)
    const pos = Number(id) * this.pageSize
    let buf = this.src.read(pos, this.pageSize)
    const h = readPageHeader(buf)
    if (h.id !== id) throw new BoltFormatError(`bbolt: page ${id}: header says page ${h.id}`)
    if (h.overflow > 0) {
      const pages = 1 + h.overflow
      if (id + BigInt(pages) > this.meta.pgid)
        throw new BoltFormatError(
          `bbolt: page ${id}: ${h.overflow} overflow pages run past the high water mark ${this.meta.pgid}`,
        )
      buf = this.src.read(pos, pages * this.pageSize)
    }
    return buf
  }

  /** The root bucket: its keys are the names of the top-level buckets. */
  root(): Bucket {
    return new Bucket(this, this.meta.root, undefined)
  }

  /** Names of the top-level buckets, in order. */
  bucketNames(): Buffer[] {
    const names: Buffer[] = []
    for (const e of this.root().entries()) if (e.bucket) names.push(e.key)
    return names
  }

  /** A top-level bucket, or undefined when there is none of that name. */
  bucket(name: string | Buffer): Bucket | undefined {
    return this.root().bucket(name)
  }
}

/** A bucket: a B+tree of pages, or an inline page stored in its parent's value. */
export class Bucket {
  constructor(
    private readonly db: BoltReader,
    readonly header: BucketHeader,
    private readonly inline: Buffer | undefined,
  ) {}

  /** Every key/value in key order. */
  *entries(): Generator<Entry> {
    if (this.inline) yield* leafEntries(this.inline, 'inline page')
    else yield* this.walk(this.header.root, 0)
  }

  private *walk(id: bigint, depth: number): Generator<Entry> {
    if (depth > 64) throw new BoltFormatError(`bbolt: page ${id}: tree deeper than 64 levels (a cycle?)`)
    const p = this.db.page(id)
    const h = readPageHeader(p)
    if (h.flags & LEAF_PAGE) {
      yield* leafEntries(p, `page ${id}`)
    } else if (h.flags & BRANCH_PAGE) {
      for (const child of branchChildren(p, id)) yield* this.walk(child.pgid, depth + 1)
    } else {
      throw new BoltFormatError(`bbolt: page ${id}: expected a branch or leaf page, found ${pageType(h.flags)}`)
    }
  }

  /** The value of a key (not a nested bucket), or undefined. */
  get(key: string | Buffer): Buffer | undefined {
    const e = this.find(toBuf(key))
    return e && !e.bucket ? e.value : undefined
  }

  /** A nested bucket, or undefined. */
  bucket(name: string | Buffer): Bucket | undefined {
    const e = this.find(toBuf(name))
    if (!e || !e.bucket) return undefined
    return openBucket(this.db, e.value)
  }

  private find(key: Buffer): Entry | undefined {
    let page = this.inline
    let id = this.header.root
    for (let depth = 0; ; depth++) {
      if (depth > 64) throw new BoltFormatError(`bbolt: page ${id}: tree deeper than 64 levels (a cycle?)`)
      const p = page ?? this.db.page(id)
      const h = readPageHeader(p)
      if (h.flags & LEAF_PAGE) {
        for (const e of leafEntries(p, `page ${id}`)) {
          const c = Buffer.compare(e.key, key)
          if (c === 0) return e
          if (c > 0) return undefined
        }
        return undefined
      }
      if (!(h.flags & BRANCH_PAGE))
        throw new BoltFormatError(`bbolt: page ${id}: expected a branch or leaf page, found ${pageType(h.flags)}`)
      // The last child whose first key is <= key (or the first child).
      const children = branchChildren(p, id)
      let next = children[0].pgid
      for (const c of children) {
        if (Buffer.compare(c.key, key) <= 0) next = c.pgid
        else break
      }
      page = undefined
      id = next
    }
  }
}

export function openBucket(db: BoltReader, value: Buffer): Bucket {
  if (value.length < BUCKET_HEADER_SIZE)
    throw new BoltFormatError(`bbolt: bucket value of ${value.length} bytes is shorter than a bucket header`)
  const header = readBucketHeader(value)
  if (header.root !== 0n) return new Bucket(db, header, undefined)
  const inline = value.subarray(BUCKET_HEADER_SIZE)
  if (inline.length < 16) throw new BoltFormatError('bbolt: inline bucket is shorter than a page header')
  return new Bucket(db, header, inline)
}

function toBuf(k: string | Buffer): Buffer {
  return typeof k === 'string' ? Buffer.from(k) : k
}

function* leafEntries(p: Buffer, where: string): Generator<Entry> {
  const h = readPageHeader(p)
  if (!(h.flags & LEAF_PAGE))
    throw new BoltFormatError(`bbolt: ${where}: expected a leaf page, found ${pageType(h.flags)}`)
  for (let i = 0; i < h.count; i++) {
    const el = PAGE_HEADER_SIZE + i * LEAF_ELEMENT_SIZE
    if (el + LEAF_ELEMENT_SIZE > p.length)
      throw new BoltFormatError(`bbolt: ${where}: element ${i} lies outside the page`)
    const flags = p.readUInt32LE(el)
    const pos = el + p.readUInt32LE(el + 4)
    const ksize = p.readUInt32LE(el + 8)
    const vsize = p.readUInt32LE(el + 12)
    if (pos + ksize + vsize > p.length)
      throw new BoltFormatError(`bbolt: ${where}: element ${i} data lies outside the page`)
    yield {
      key: p.subarray(pos, pos + ksize),
      value: p.subarray(pos + ksize, pos + ksize + vsize),
      bucket: (flags & BUCKET_LEAF_FLAG) !== 0,
    }
  }
}

export function branchChildren(p: Buffer, id: bigint): { key: Buffer; pgid: bigint }[] {
  const h = readPageHeader(p)
  if (h.count === 0) throw new BoltFormatError(`bbolt: page ${id}: empty branch page`)
  const out: { key: Buffer; pgid: bigint }[] = []
  for (let i = 0; i < h.count; i++) {
    const el = PAGE_HEADER_SIZE + i * BRANCH_ELEMENT_SIZE
    if (el + BRANCH_ELEMENT_SIZE > p.length)
      throw new BoltFormatError(`bbolt: page ${id}: element ${i} lies outside the page`)
    const pos = el + p.readUInt32LE(el)
    const ksize = p.readUInt32LE(el + 4)
    if (pos + ksize > p.length) throw new BoltFormatError(`bbolt: page ${id}: element ${i} key lies outside the page`)
    out.push({ key: p.subarray(pos, pos + ksize), pgid: p.readBigUInt64LE(el + 8) })
  }
  return out
}
