/**
 * Protocol-buffers wire format: the small runtime under the generated code in src/gen.
 *
 * Encoding is two-pass: the generated size functions compute the exact length, a Writer
 * of that length is filled, and its buffer is returned without copying.
 * Decoding reads varints as numbers; 64-bit values come back either as numbers (revisions,
 * counts: exact below 2^53) or as bigint (IDs), as the generator decided per field.
 */

export const EMPTY: Buffer = Buffer.alloc(0)

const TWO32 = 4294967296

/** How a field is rendered by the JSON printers. */
export interface FieldInfo {
  name: string
  kind: 'message' | 'enum' | 'bytes' | 'string' | 'number' | 'bigint' | 'boolean'
  repeated: boolean
  oneof?: string
  fields?: () => FieldInfo[]
  /** The .proto scalar type (`int64`, `uint32`, `bytes`, …), or `enum`; absent for messages. */
  type?: string
  /** An enum field's Go type name (`etcdserverpb.RangeRequest_SortOrder`) and its values by name. */
  enumName?: string
  values?: Readonly<Record<string, number>>
}

export function sizeVarint(v: number): number {
  if (v < 0x80) return 1
  if (v < 0x4000) return 2
  if (v < 0x200000) return 3
  if (v < 0x10000000) return 4
  if (v < 0x800000000) return 5
  if (v < 0x40000000000) return 6
  if (v < 0x2000000000000) return 7
  if (v < 0x100000000000000) return 8
  return 9
}

export function sizeInt32(v: number): number {
  return v < 0 ? 10 : sizeVarint(v)
}

export function sizeInt64(v: number): number {
  return v < 0 ? 10 : sizeVarint(v)
}

export function sizeString(s: string): number {
  const n = Buffer.byteLength(s)
  return sizeVarint(n) + n
}

export function sizeBytes(b: Uint8Array): number {
  return sizeVarint(b.length) + b.length
}

export class Writer {
  readonly buf: Buffer
  pos = 0

  /** `headroom`: bytes left free before the message, for a transport's framing. */
  constructor(size: number, headroom = 0) {
    this.buf = Buffer.allocUnsafe(headroom + size)
    this.pos = headroom
  }

  finish(): Buffer {
    if (this.pos !== this.buf.length)
      throw new Error(`protobuf size mismatch: wrote ${this.pos}, sized ${this.buf.length}`)
    return this.buf
  }

  byte(b: number): void {
    this.buf[this.pos++] = b
  }

  /** Non-negative integer up to 2^53. */
  varint(v: number): void {
    const buf = this.buf
    while (v >= 0x80000000) {
      buf[this.pos++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    while (v >= 0x80) {
      buf[this.pos++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    buf[this.pos++] = v
  }

  private varint64(lo: number, hi: number): void {
    const buf = this.buf
    while (hi > 0 || lo > 127) {
      buf[this.pos++] = (lo & 0x7f) | 0x80
      lo = ((lo >>> 7) | (hi << 25)) >>> 0
      hi >>>= 7
    }
    buf[this.pos++] = lo
  }

  int32(v: number): void {
    if (v >= 0) this.varint(v)
    else this.varint64(v >>> 0, 0xffffffff)
  }

  int64(v: number): void {
    if (v >= 0) {
      this.varint(v)
      return
    }
    const a = -v
    let lo = a >>> 0
    let hi = Math.floor(a / TWO32) >>> 0
    // two's complement of the magnitude
    lo = (~lo + 1) >>> 0
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0
    this.varint64(lo, hi)
  }

  bigVarint(v: bigint): void {
    if (v >= 0n && v < 0x20000000000000n) {
      this.varint(Number(v))
      return
    }
    const i = splitBig(v)
    this.varint64(bigLo[i], bigHi[i])
  }

  string(s: string): void {
    const n = Buffer.byteLength(s)
    this.varint(n)
    this.buf.write(s, this.pos, n, 'utf8')
    this.pos += n
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  /** Bytes already encoded (whole fields), copied as they are. */
  raw(b: Uint8Array): void {
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  double(v: number): void {
    this.buf.writeDoubleLE(v, this.pos)
    this.pos += 8
  }

  fixed32(v: number): void {
    this.buf.writeUInt32LE(v >>> 0, this.pos)
    this.pos += 4
  }
}

/**
 * The last few unsigned 64-bit values seen, with their 32-bit halves, for encoding and
 * decoding alike: member and cluster IDs are in every response header and raft message, and
 * splitting a bigint, or making one from halves, allocates.
 */
const BIG_SLOTS = 8
const bigSeen: bigint[] = new Array<bigint>(BIG_SLOTS).fill(0n)
const bigLo = new Float64Array(BIG_SLOTS)
const bigHi = new Float64Array(BIG_SLOTS)
let bigFilled = 0
let bigNext = 0

function remember(u: bigint, lo: number, hi: number): number {
  const i = bigNext
  bigNext = (bigNext + 1) % BIG_SLOTS
  if (bigFilled < BIG_SLOTS) bigFilled++
  bigSeen[i] = u
  bigLo[i] = lo
  bigHi[i] = hi
  return i
}

/** The slot holding `v`'s halves (as an unsigned 64-bit value). */
function splitBig(v: bigint): number {
  for (let i = 0; i < bigFilled; i++) if (bigSeen[i] === v) return i
  const u = BigInt.asUintN(64, v)
  return remember(u, Number(u & 0xffffffffn), Number(u >> 32n))
}

/** The unsigned 64-bit value of `lo` and `hi`. */
function bigOf(lo: number, hi: number): bigint {
  // Small values (terms, indexes, flags) are not worth a slot.
  if (hi === 0 && lo < 0x10000) return BigInt(lo)
  for (let i = 0; i < bigFilled; i++) if (bigLo[i] === lo && bigHi[i] === hi) return bigSeen[i]
  const v = (BigInt(hi) << 32n) | BigInt(lo)
  return bigSeen[remember(v, lo, hi)]
}

export function sizeBigVarint(v: bigint): number {
  if (v >= 0n && v < 0x20000000000000n) return sizeVarint(Number(v))
  const hi = bigHi[splitBig(v)]
  // 32 low bits plus the bits of `hi`, 7 per byte
  return hi < 0x8 ? 5 : hi < 0x400 ? 6 : hi < 0x20000 ? 7 : hi < 0x1000000 ? 8 : hi < 0x80000000 ? 9 : 10
}

/** The high 32 bits of 2^53: magnitudes with high bits below it are exact as numbers. */
const SAFE_HI = 0x200000

/** An int64 field whose value a JS number cannot hold exactly (beyond ±(2^53-1)). */
export class Int64RangeError extends RangeError {
  constructor(
    readonly field: string,
    readonly value: bigint,
  ) {
    super(
      `${field} ${value} is out of range: tsetcd represents 64-bit integers exactly only within ±(2^53-1) (9007199254740991)`,
    )
    this.name = 'Int64RangeError'
  }
}

export class Reader {
  readonly buf: Uint8Array
  pos = 0
  readonly len: number

  constructor(buf: Uint8Array) {
    this.buf = buf
    this.len = buf.length
  }

  private fail(): never {
    throw new RangeError('protobuf: message truncated or malformed')
  }

  /** Varint as a number; exact up to 2^53, which covers tags, lengths, uint32, enums and revisions. */
  varint(): number {
    const buf = this.buf
    let v = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.len) this.fail()
      const b = buf[this.pos++]
      v += (b & 0x7f) * mul
      if (b < 0x80) return v
      mul *= 128
    }
    this.fail()
  }

  /** The halves of the last varint64 read (fields, not a tuple: reading allocates nothing). */
  private lo = 0
  private hi = 0

  /** Reads a varint of up to 64 bits into `lo` and `hi`. */
  private varint64(): void {
    const buf = this.buf
    let lo = 0
    let hi: number
    let i = 0
    for (; i < 4; i++) {
      if (this.pos >= this.len) this.fail()
      const b = buf[this.pos++]
      lo = (lo | ((b & 0x7f) << (i * 7))) >>> 0
      if (b < 0x80) {
        this.lo = lo
        this.hi = 0
        return
      }
    }
    if (this.pos >= this.len) this.fail()
    let b = buf[this.pos++]
    lo = (lo | ((b & 0x7f) << 28)) >>> 0
    hi = (b & 0x7f) >> 4
    if (b < 0x80) {
      this.lo = lo
      this.hi = hi
      return
    }
    for (i = 0; i < 5; i++) {
      if (this.pos >= this.len) this.fail()
      b = buf[this.pos++]
      hi = (hi | ((b & 0x7f) << (i * 7 + 3))) >>> 0
      if (b < 0x80) {
        this.lo = lo
        this.hi = hi
        return
      }
    }
    this.fail()
  }

  int32(): number {
    this.varint64()
    return this.lo | 0
  }

  /**
   * An int64 field decoded as a number (revisions, versions, TTLs, counts): exact within
   * ±(2^53-1); a value beyond that is refused with an Int64RangeError naming `field`, never
   * rounded.
   */
  int64(field = 'int64'): number {
    this.varint64()
    const lo = this.lo
    const hi = this.hi
    if (hi & 0x80000000) {
      const nlo = (~lo + 1) >>> 0
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0
      if (nhi >= SAFE_HI) throw new Int64RangeError(field, BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)))
      return -(nhi * TWO32 + nlo)
    }
    if (hi >= SAFE_HI) throw new Int64RangeError(field, (BigInt(hi) << 32n) | BigInt(lo))
    return hi * TWO32 + lo
  }

  /** A uint64 as a bigint; the few values seen most (member IDs) come back as the same bigint. */
  bigUint64(): bigint {
    this.varint64()
    return bigOf(this.lo, this.hi)
  }

  bigInt64(): bigint {
    return BigInt.asIntN(64, this.bigUint64())
  }

  bytes(): Buffer {
    const n = this.varint()
    const end = this.pos + n
    if (end > this.len) this.fail()
    const b = this.buf
    const out = Buffer.from(b.buffer, b.byteOffset + this.pos, n)
    this.pos = end
    return out
  }

  string(): string {
    const n = this.varint()
    const end = this.pos + n
    if (end > this.len) this.fail()
    const b = this.buf
    const s = Buffer.from(b.buffer, b.byteOffset + this.pos, n).toString('utf8')
    this.pos = end
    return s
  }

  double(): number {
    if (this.pos + 8 > this.len) this.fail()
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, 8).readDoubleLE(0)
    this.pos += 8
    return v
  }

  fixed32(): number {
    if (this.pos + 4 > this.len) this.fail()
    const b = this.buf
    const p = this.pos
    this.pos += 4
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint64()
        break
      case 1:
        this.pos += 8
        break
      case 2: {
        const n = this.varint()
        this.pos += n
        break
      }
      case 5:
        this.pos += 4
        break
      default:
        throw new RangeError(`protobuf: unsupported wire type ${wireType}`)
    }
    if (this.pos > this.len) this.fail()
  }
}
