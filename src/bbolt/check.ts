/**
 * bbolt's consistency check (tx.Check), which `etcdctl snapshot status` runs before hashing:
 * every page below the high-water mark is either reachable exactly once from the root or in
 * the freelist, and reachable pages are branch or leaf pages. Messages are bbolt's.
 */
import {
  BRANCH_PAGE,
  FREELIST_PAGE,
  LEAF_PAGE,
  PAGE_HEADER_SIZE,
  PGID_NO_FREELIST,
  pageType,
  readPageHeader,
} from './page.js'
import { BoltReader, branchChildren, openBucket, type Bucket } from './reader.js'

/** The page ids a freelist page lists (a count of 0xFFFF means the first id is the count). */
export function freelistIds(page: Buffer): bigint[] {
  const h = readPageHeader(page)
  if (!(h.flags & FREELIST_PAGE)) throw new Error(`invalid freelist page: ${h.id}, page type is ${pageType(h.flags)}`)
  let idx = 0
  let count = h.count
  if (count === 0xffff) {
    count = Number(page.readBigUInt64LE(PAGE_HEADER_SIZE))
    idx = 1
  }
  if (PAGE_HEADER_SIZE + (idx + count) * 8 > page.length)
    throw new Error(`freelist page ${h.id}: ${count} ids do not fit in the page`)
  const ids: bigint[] = []
  for (let i = 0; i < count; i++) ids.push(page.readBigUInt64LE(PAGE_HEADER_SIZE + (idx + i) * 8))
  return ids
}

/** bbolt's tx.Check: the list of problems (empty when the file is consistent). */
export function checkBolt(db: BoltReader): string[] {
  const errors: string[] = []
  const pgid = Number(db.meta.pgid)
  const reachable = new Uint8Array(pgid)
  const freed = new Uint8Array(pgid)
  const synced = db.meta.freelist !== PGID_NO_FREELIST

  reachable[0] = 1
  reachable[1] = 1
  if (synced) {
    try {
      const fl = db.page(db.meta.freelist)
      const h = readPageHeader(fl)
      for (let i = 0; i <= h.overflow; i++) reachable[Number(db.meta.freelist) + i] = 1
      const seen = new Set<bigint>()
      for (const id of freelistIds(fl)) {
        if (seen.has(id)) errors.push(`page ${id}: already freed`)
        seen.add(id)
        if (id < BigInt(pgid)) freed[Number(id)] = 1
      }
    } catch (err) {
      errors.push((err as Error).message)
    }
  }

  const visit = (id: bigint, depth: number) => {
    if (id >= BigInt(pgid)) {
      errors.push(`page ${id}: out of bounds: ${pgid}`)
      return
    }
    const p = db.page(id)
    const h = readPageHeader(p)
    for (let i = 0; i <= h.overflow; i++) {
      const n = Number(id) + i
      if (reachable[n]) errors.push(`page ${n}: multiple references`)
      reachable[n] = 1
    }
    if (freed[Number(id)]) errors.push(`page ${id}: reachable freed`)
    else if (!(h.flags & (BRANCH_PAGE | LEAF_PAGE))) errors.push(`page ${id}: invalid type: ${pageType(h.flags)}`)
    if (h.flags & BRANCH_PAGE && depth < 64) for (const c of branchChildren(p, id)) visit(c.pgid, depth + 1)
  }
  const checkBucket = (b: Bucket) => {
    if (b.header.root === 0n) return // inline
    visit(b.header.root, 0)
    for (const e of b.entries()) if (e.bucket) checkBucket(openBucket(db, e.value))
  }
  try {
    checkBucket(db.root())
  } catch (err) {
    errors.push((err as Error).message)
  }

  for (let i = 0; i < pgid; i++) {
    // Without a stored freelist, bbolt counts every unreachable page as free.
    if (!reachable[i] && synced && !freed[i]) errors.push(`page ${i}: unreachable unfreed`)
  }
  return errors
}
