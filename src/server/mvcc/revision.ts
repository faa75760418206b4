/**
 * Revisions and their backend keys.
 *
 * A revision is (main, sub): `main` numbers a write request (a Put, a DeleteRange or a whole
 * Txn that changed something), `sub` numbers the changes inside it from 0.
 *
 * Key bucket records are keyed by the revision so that a scan returns history in revision
 * order:
 *
 *   0x01 | main: 8 bytes big-endian | '_' | sub: 8 bytes big-endian [| 't' for a tombstone]
 *
 * Mains and subs stay below 2^53, so they are plain numbers.
 */
import { Bucket } from '../backend/buckets.js'

/** Bytes of a record key without / with the tombstone mark. */
export const REV_KEY_LEN = 18
export const TOMBSTONE_KEY_LEN = 19

const TWO32 = 4294967296
const SEP = 0x5f // '_'
const TOMB = 0x74 // 't'

export function writeUint64BE(buf: Buffer, off: number, n: number): void {
  buf.writeUInt32BE(Math.floor(n / TWO32), off)
  buf.writeUInt32BE(n >>> 0, off + 4)
}

/** Reads bytes off..off+8 of buf as one number (plain byte reads: no call per half). */
export function readUint64BE(buf: Buffer, off: number): number {
  if (off < 0 || off + 8 > buf.length) throw new RangeError(`mvcc: no 8 bytes at offset ${off} of ${buf.length}`)
  const hi = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0
  const lo = ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0
  return hi * TWO32 + lo
}

function fill(buf: Buffer, main: number, sub: number, tombstone: boolean): void {
  buf[0] = Bucket.Key
  writeUint64BE(buf, 1, main)
  buf[9] = SEP
  writeUint64BE(buf, 10, sub)
  if (tombstone) buf[18] = TOMB
}

/** A fresh record key for (main, sub). */
export function revKey(main: number, sub: number, tombstone: boolean): Buffer {
  const buf = Buffer.allocUnsafe(tombstone ? TOMBSTONE_KEY_LEN : REV_KEY_LEN)
  fill(buf, main, sub, tombstone)
  return buf
}

/**
 * Encodes record keys into one reused buffer: for backend calls that copy the key at once
 * (write-batch put/del). The returned Buffer is valid until the next call.
 */
export class RevKeyScratch {
  private readonly buf = Buffer.allocUnsafe(TOMBSTONE_KEY_LEN)
  private readonly plain = this.buf.subarray(0, REV_KEY_LEN)

  key(main: number, sub: number, tombstone: boolean): Buffer {
    fill(this.buf, main, sub, tombstone)
    return tombstone ? this.buf : this.plain
  }
}

export function revKeyMain(key: Buffer): number {
  return readUint64BE(key, 1)
}

export function revKeySub(key: Buffer): number {
  return readUint64BE(key, 10)
}

export function isTombstoneKey(key: Buffer): boolean {
  return key.length === TOMBSTONE_KEY_LEN && key[18] === TOMB
}

/** Bounds [gte, lt) of the record keys with fromMain <= main < toMain. */
export function revKeyBounds(fromMain: number, toMain: number): [gte: Buffer, lt: Buffer] {
  return [revKey(fromMain, 0, false), revKey(toMain, 0, false)]
}
