/**
 * bbolt's on-disk page format (go.etcd.io/bbolt page.go, db.go): the page header, branch and
 * leaf elements, the meta page and the bucket header. All integers are little-endian.
 */
import { fnv64a } from './fnv.js'

export const MAGIC = 0xed0cdaed
export const VERSION = 2

export const PAGE_HEADER_SIZE = 16
export const BRANCH_ELEMENT_SIZE = 16
export const LEAF_ELEMENT_SIZE = 16
export const BUCKET_HEADER_SIZE = 16
export const META_SIZE = 64
/** Bytes of the meta covered by its checksum (everything before the checksum field). */
const META_SUMMED = 56

export const BRANCH_PAGE = 0x01
export const LEAF_PAGE = 0x02
export const META_PAGE = 0x04
export const FREELIST_PAGE = 0x10

/** Leaf element flag: the value is a bucket header (plus an inline page when root is 0). */
export const BUCKET_LEAF_FLAG = 0x01

/** meta.freelist when the freelist is not stored (NoFreelistSync). */
export const PGID_NO_FREELIST = 0xffffffffffffffffn

export const MIN_PAGE_SIZE = 512
export const MAX_PAGE_SIZE = 65536

export interface PageHeader {
  id: bigint
  flags: number
  count: number
  overflow: number
}

export function readPageHeader(buf: Buffer, off = 0): PageHeader {
  return {
    id: buf.readBigUInt64LE(off),
    flags: buf.readUInt16LE(off + 8),
    count: buf.readUInt16LE(off + 10),
    overflow: buf.readUInt32LE(off + 12),
  }
}

export function writePageHeader(buf: Buffer, h: PageHeader, off = 0): void {
  buf.writeBigUInt64LE(h.id, off)
  buf.writeUInt16LE(h.flags, off + 8)
  buf.writeUInt16LE(h.count, off + 10)
  buf.writeUInt32LE(h.overflow, off + 12)
}

export function pageType(flags: number): string {
  if (flags & BRANCH_PAGE) return 'branch'
  if (flags & LEAF_PAGE) return 'leaf'
  if (flags & META_PAGE) return 'meta'
  if (flags & FREELIST_PAGE) return 'freelist'
  return `unknown<${flags.toString(16).padStart(2, '0')}>`
}

/** A bucket header: the root page id (0 for an inline bucket) and the bucket's sequence. */
export interface BucketHeader {
  root: bigint
  sequence: bigint
}

export function readBucketHeader(buf: Buffer, off = 0): BucketHeader {
  return { root: buf.readBigUInt64LE(off), sequence: buf.readBigUInt64LE(off + 8) }
}

export function writeBucketHeader(buf: Buffer, h: BucketHeader, off = 0): void {
  buf.writeBigUInt64LE(h.root, off)
  buf.writeBigUInt64LE(h.sequence, off + 8)
}

export interface Meta {
  magic: number
  version: number
  pageSize: number
  flags: number
  root: BucketHeader
  freelist: bigint
  /** High-water mark: the number of pages in use. */
  pgid: bigint
  txid: bigint
  checksum: bigint
}

/** Reads the meta that follows the page header at `off` (the start of a meta page). */
export function readMeta(buf: Buffer, off = 0): Meta {
  const m = off + PAGE_HEADER_SIZE
  return {
    magic: buf.readUInt32LE(m),
    version: buf.readUInt32LE(m + 4),
    pageSize: buf.readUInt32LE(m + 8),
    flags: buf.readUInt32LE(m + 12),
    root: readBucketHeader(buf, m + 16),
    freelist: buf.readBigUInt64LE(m + 32),
    pgid: buf.readBigUInt64LE(m + 40),
    txid: buf.readBigUInt64LE(m + 48),
    checksum: buf.readBigUInt64LE(m + 56),
  }
}

function encodeMetaBody(meta: Omit<Meta, 'checksum'>): Buffer {
  const b = Buffer.alloc(META_SIZE)
  b.writeUInt32LE(meta.magic, 0)
  b.writeUInt32LE(meta.version, 4)
  b.writeUInt32LE(meta.pageSize, 8)
  b.writeUInt32LE(meta.flags, 12)
  writeBucketHeader(b, meta.root, 16)
  b.writeBigUInt64LE(meta.freelist, 32)
  b.writeBigUInt64LE(meta.pgid, 40)
  b.writeBigUInt64LE(meta.txid, 48)
  return b
}

/** The checksum bbolt stores in a meta: FNV-64a of the fields before the checksum. */
export function metaChecksum(meta: Omit<Meta, 'checksum'>): bigint {
  return fnv64a(encodeMetaBody(meta).subarray(0, META_SUMMED))
}

/** Writes a whole meta page (header + meta with its checksum) into `buf` at `off`. */
export function writeMetaPage(buf: Buffer, meta: Omit<Meta, 'checksum'>, off = 0): void {
  writePageHeader(buf, { id: meta.txid % 2n, flags: META_PAGE, count: 0, overflow: 0 }, off)
  const body = encodeMetaBody(meta)
  body.writeBigUInt64LE(fnv64a(body.subarray(0, META_SUMMED)), META_SUMMED)
  body.copy(buf, off + PAGE_HEADER_SIZE)
}

/** Why a meta is unusable, in bbolt's words (meta.validate), or undefined when it is valid. */
export function metaProblem(meta: Meta): string | undefined {
  if (meta.magic !== MAGIC) return 'invalid database'
  if (meta.version !== VERSION) return 'version mismatch'
  if (meta.checksum !== 0n && meta.checksum !== metaChecksum(meta)) return 'checksum error'
  return undefined
}

export function isValidPageSize(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_PAGE_SIZE && n <= MAX_PAGE_SIZE && (n & (n - 1)) === 0
}
