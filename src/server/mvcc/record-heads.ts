/**
 * Key records reduced to what the index rebuild needs, packed into a few flat arrays per
 * chunk so that a chunk crosses threads as transferred buffers (no per-record objects):
 * the scan of the key bucket on open runs in a worker thread (restore-worker.ts) when the
 * backend can be shared with one, in the calling thread otherwise; both pack with HeadPacker.
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

/**
 * Packs key records into chunks of at most `capacity` records, from batches of rows added
 * one after another (a reader that reads small batches keeps fewer rows alive at once, and
 * the thread that builds the index still gets few, large chunks).
 */
export class HeadPacker {
  private count = 0
  // Each chunk gets arrays of its own (they are transferred), made when its first rows come.
  private nums = new Float64Array(0)
  private flags = new Uint8Array(0)
  private leases = new BigInt64Array(0)
  private keyEnds = new Uint32Array(0)
  /** Where the keys are gathered before they are copied into a buffer of the right size. */
  private scratch = Buffer.alloc(0)
  private keyBytes = 0

  constructor(private readonly capacity: number) {}

  /** Records packed and not yet taken. */
  get size(): number {
    return this.count
  }

  /** Room left in the chunk being packed. */
  get room(): number {
    return this.capacity - this.count
  }

  /**
   * Adds key records; `rows` alternate a record's key (its revision) and its value (an encoded
   * mvccpb.KeyValue), and hold at most `room` records.
   */
  add(rows: readonly Buffer[]): void {
    const n = rows.length >>> 1
    if (n > this.room) throw new Error(`mvcc: ${n} records added to a chunk with room for ${this.room}`)
    if (this.flags.length === 0) {
      const c = this.capacity
      this.nums = new Float64Array(c * NUMS)
      this.flags = new Uint8Array(c)
      this.leases = new BigInt64Array(c)
      this.keyEnds = new Uint32Array(c)
    }
    let bound = this.keyBytes
    for (let i = 1; i < rows.length; i += 2) bound += rows[i].length
    if (this.scratch.length < bound) {
      const grown = Buffer.allocUnsafeSlow(Math.max(bound, 2 * this.scratch.length))
      this.scratch.copy(grown, 0, 0, this.keyBytes)
      this.scratch = grown
    }
    const { nums, flags, leases, keyEnds, scratch } = this
    let at = this.keyBytes
    for (let i = 0, r = this.count; i < n; i++, r++) {
      const k = rows[2 * i]
      const v = rows[2 * i + 1]
      readRecordHead(v, head, false)
      const o = r * NUMS
      nums[o + MAIN] = revKeyMain(k)
      nums[o + SUB] = revKeySub(k)
      nums[o + CREATED] = head.createRevision
      nums[o + VERSION] = head.version
      let f = isTombstoneKey(k) ? FLAG_TOMBSTONE : 0
      if (head.lease !== 0n) {
        f |= FLAG_LEASE
        leases[r] = head.lease
      }
      flags[r] = f
      at += v.copy(scratch, at, head.keyStart, head.keyEnd)
      keyEnds[r] = at
    }
    this.count += n
    this.keyBytes = at
  }

  /** The records packed since the last take, as a chunk of its own buffers. */
  take(): HeadChunk {
    const { count, nums, flags, leases, keyEnds } = this
    // Not from the shared pool: the buffer may be transferred to another thread.
    const keys = Buffer.allocUnsafeSlow(this.keyBytes)
    this.scratch.copy(keys, 0, 0, this.keyBytes)
    this.count = 0
    this.keyBytes = 0
    this.nums = new Float64Array(0)
    this.flags = new Uint8Array(0)
    this.leases = new BigInt64Array(0)
    this.keyEnds = new Uint32Array(0)
    return { count, nums, flags, leases, keys, keyEnds }
  }
}

/** Packs key records (rows as for HeadPacker.add) into one chunk. */
export function packHeads(rows: readonly Buffer[]): HeadChunk {
  const packer = new HeadPacker(rows.length >>> 1)
  packer.add(rows)
  return packer.take()
}
