/**
 * Key records reduced to what the index rebuild needs, packed into a few flat arrays per
 * chunk so that a chunk crosses threads as transferred buffers (no per-record objects):
 * the scan of the key bucket on open runs in a worker thread (restore-worker.ts) when the
 * backend can be shared with one, in the calling thread otherwise; both pack with packHeads.
 */
import { RecordHead, readRecordHead } from './record.js'
import { isTombstoneKey, revKeyMain, revKeySub } from './revision.js'

/** Field i of record r is at nums[r * NUMS + i]. */
export const NUMS = 4
export const MAIN = 0
export const SUB = 1
export const CREATED = 2
export const VERSION = 3

export const FLAG_TOMBSTONE = 1
export const FLAG_LEASE = 2

export interface HeadChunk {
  count: number
  /** main, sub, create_revision, version of each record. */
  nums: Float64Array
  /** FLAG_* of each record. */
  flags: Uint8Array
  /** The lease of each record with FLAG_LEASE (0 for the others). */
  leases: BigInt64Array
  /** The keys' bytes, one after another. */
  keys: Buffer
  /** Record r's key is keys[keyEnds[r - 1] (0 for the first), keyEnds[r]). */
  keyEnds: Uint32Array
}

/** The buffers of a chunk, for postMessage's transfer list. */
export function chunkBuffers(c: HeadChunk): ArrayBuffer[] {
  return [c.nums.buffer, c.flags.buffer, c.leases.buffer, c.keys.buffer, c.keyEnds.buffer] as ArrayBuffer[]
}

/** Rebuilds a chunk from its transferred buffers. */
export function chunkFromBuffers(count: number, b: ArrayBuffer[]): HeadChunk {
  return {
    count,
    nums: new Float64Array(b[0]),
    flags: new Uint8Array(b[1]),
    leases: new BigInt64Array(b[2]),
    keys: Buffer.from(b[3]),
    keyEnds: new Uint32Array(b[4]),
  }
}

const head = new RecordHead()
/** Where packHeads gathers the keys before copying them into a buffer of the right size. */
let scratch = Buffer.alloc(0)

/**
 * Packs key records into a chunk of its own buffers; `rows` alternate a record's key (its
 * revision) and its value (an encoded mvccpb.KeyValue).
 */
export function packHeads(rows: readonly Buffer[]): HeadChunk {
  const count = rows.length >>> 1
  let bound = 0
  for (let i = 1; i < rows.length; i += 2) bound += rows[i].length
  if (scratch.length < bound) scratch = Buffer.allocUnsafeSlow(Math.max(bound, 2 * scratch.length))
  const nums = new Float64Array(count * NUMS)
  const flags = new Uint8Array(count)
  const leases = new BigInt64Array(count)
  const keyEnds = new Uint32Array(count)
  let at = 0
  for (let i = 0; i < count; i++) {
    const k = rows[2 * i]
    const v = rows[2 * i + 1]
    readRecordHead(v, head, false)
    const o = i * NUMS
    nums[o + MAIN] = revKeyMain(k)
    nums[o + SUB] = revKeySub(k)
    nums[o + CREATED] = head.createRevision
    nums[o + VERSION] = head.version
    let f = isTombstoneKey(k) ? FLAG_TOMBSTONE : 0
    if (head.lease !== 0n) {
      f |= FLAG_LEASE
      leases[i] = head.lease
    }
    flags[i] = f
    at += v.copy(scratch, at, head.keyStart, head.keyEnd)
    keyEnds[i] = at
  }
  // Not from the shared pool: the buffer is transferred to another thread.
  const keys = Buffer.allocUnsafeSlow(at)
  scratch.copy(keys, 0, 0, at)
  return { count, nums, flags, leases, keys, keyEnds }
}
