/**
 * HPACK (RFC 7541): a decoder with its dynamic table, and an encoder that never touches the
 * peer's dynamic table (static-table references and literals "without indexing" only), so
 * a header block can be decoded with one peer's state and re-encoded for another decoder
 * whose table stays empty. Names and values are latin1 strings (one char per octet).
 */
import { huffmanDecode, huffmanEncode, huffmanLength } from './huffman.js'

export interface HeaderField {
  name: string
  value: string
  /** Sent as "never indexed" (RFC 7541 6.2.3); re-encoded the same way. */
  sensitive?: boolean
}

export interface HeaderBlock {
  fields: HeaderField[]
  /** Dynamic table size updates at the start of the block, in order. */
  tableSizeUpdates: number[]
}

// prettier-ignore
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'],
  [':path', '/index.html'], [':scheme', 'http'], [':scheme', 'https'], [':status', '200'],
  [':status', '204'], [':status', '206'], [':status', '304'], [':status', '400'],
  [':status', '404'], [':status', '500'], ['accept-charset', ''], ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''], ['accept-ranges', ''], ['accept', ''], ['access-control-allow-origin', ''],
  ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''],
  ['date', ''], ['etag', ''], ['expect', ''], ['expires', ''],
  ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''],
  ['link', ''], ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''],
  ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''],
  ['retry-after', ''], ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''],
  ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
]

/** First static index of each name, and the index of each exact name/value pair. */
const STATIC_NAME = new Map<string, number>()
const STATIC_PAIR = new Map<string, number>()
STATIC_TABLE.forEach(([name, value], i) => {
  if (!STATIC_NAME.has(name)) STATIC_NAME.set(name, i + 1)
  STATIC_PAIR.set(`${name}\0${value}`, i + 1)
})

/** RFC 7541 4.1: an entry's size is its name and value lengths plus 32. */
const ENTRY_OVERHEAD = 32
/** Integers past this are no real header block's (and would lose precision). */
const MAX_INT = 2 ** 31 - 1

export class HpackError extends Error {}

export class HpackDecoder {
  /** Newest entry last. */
  private readonly entries: [string, string][] = []
  private size = 0
  private maxSize: number

  /** @param settingsMaxSize the SETTINGS_HEADER_TABLE_SIZE this side advertised (4096 by default). */
  constructor(private readonly settingsMaxSize = 4096) {
    this.maxSize = settingsMaxSize
  }

  /** Entries now in the dynamic table (for tests). */
  get dynamicTable(): readonly (readonly [string, string])[] {
    return [...this.entries].reverse()
  }

  get tableSize(): number {
    return this.size
  }

  /** Decodes one complete header block, updating the dynamic table. Throws HpackError. */
  decode(block: Uint8Array): HeaderBlock {
    const fields: HeaderField[] = []
    const tableSizeUpdates: number[] = []
    const pos = { i: 0 }
    while (pos.i < block.length) {
      const b = block[pos.i]!
      if (b & 0x80) {
        // 6.1 Indexed header field.
        const [name, value] = this.lookup(readInt(block, pos, 7))
        fields.push({ name, value })
      } else if (b & 0x40) {
        // 6.2.1 Literal with incremental indexing.
        const field = this.literal(block, pos, 6)
        this.insert(field.name, field.value)
        fields.push(field)
      } else if (b & 0x20) {
        // 6.3 Dynamic table size update: only before the first field.
        if (fields.length > 0) throw new HpackError('HPACK: table size update after a header field')
        const size = readInt(block, pos, 5)
        if (size > this.settingsMaxSize)
          throw new HpackError(`HPACK: table size update ${size} over the limit ${this.settingsMaxSize}`)
        this.maxSize = size
        this.evict(0)
        tableSizeUpdates.push(size)
      } else {
        // 6.2.2 without indexing (0000), 6.2.3 never indexed (0001).
        const field = this.literal(block, pos, 4)
        if (b & 0x10) field.sensitive = true
        fields.push(field)
      }
    }
    return { fields, tableSizeUpdates }
  }

  private literal(block: Uint8Array, pos: { i: number }, prefixBits: number): HeaderField {
    const index = readInt(block, pos, prefixBits)
    const name = index === 0 ? readString(block, pos) : this.lookup(index)[0]
    const value = readString(block, pos)
    return { name, value }
  }

  private lookup(index: number): readonly [string, string] {
    if (index === 0) throw new HpackError('HPACK: index 0')
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!
    const entry = this.entries[this.entries.length - (index - STATIC_TABLE.length)]
    if (entry === undefined) throw new HpackError(`HPACK: index ${index} past the table`)
    return entry
  }

  private insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD
    // 4.4: an entry larger than the table empties it and is not added.
    this.evict(Math.min(size, this.maxSize + 1))
    if (size > this.maxSize) return
    this.entries.push([name, value])
    this.size += size
  }

  /** Evicts the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    let drop = 0
    while (this.size + room > this.maxSize && drop < this.entries.length) {
      const [n, v] = this.entries[drop++]!
      this.size -= n.length + v.length + ENTRY_OVERHEAD
    }
    if (drop > 0) this.entries.splice(0, drop)
  }
}

/** 5.1 integer with an N-bit prefix, at pos.i; advances pos. */
export function readInt(buf: Uint8Array, pos: { i: number }, prefixBits: number): number {
  if (pos.i >= buf.length) throw new HpackError('HPACK: truncated integer')
  const max = (1 << prefixBits) - 1
  let value = buf[pos.i++]! & max
  if (value < max) return value
  let shift = 0
  for (;;) {
    if (pos.i >= buf.length) throw new HpackError('HPACK: truncated integer')
    const b = buf[pos.i++]!
    value += (b & 0x7f) * 2 ** shift
    if (value > MAX_INT) throw new HpackError('HPACK: integer too large')
    if ((b & 0x80) === 0) return value
    shift += 7
    if (shift > 28) throw new HpackError('HPACK: integer too long')
  }
}

/** 5.2 string literal (raw or Huffman-coded), as latin1. */
export function readString(buf: Uint8Array, pos: { i: number }): string {
  if (pos.i >= buf.length) throw new HpackError('HPACK: truncated string')
  const huffman = (buf[pos.i]! & 0x80) !== 0
  const len = readInt(buf, pos, 7)
  const start = pos.i
  if (start + len > buf.length) throw new HpackError('HPACK: string past the block')
  pos.i += len
  if (huffman) {
    try {
      return huffmanDecode(buf, start, start + len)
    } catch (err) {
      throw new HpackError((err as Error).message)
    }
  }
  return Buffer.from(buf.buffer, buf.byteOffset + start, len).toString('latin1')
}

/** Appends an integer with an N-bit prefix; `first` carries the bits above the prefix. */
export function writeInt(out: number[], value: number, prefixBits: number, first: number): void {
  const max = (1 << prefixBits) - 1
  if (value < max) {
    out.push(first | value)
    return
  }
  out.push(first | max)
  value -= max
  while (value >= 128) {
    out.push((value % 128) | 128)
    value = Math.floor(value / 128)
  }
  out.push(value)
}

function writeString(out: number[], s: string, huffman: boolean): void {
  const hlen = huffman ? huffmanLength(s) : Infinity
  if (hlen < s.length) {
    writeInt(out, hlen, 7, 0x80)
    for (const b of huffmanEncode(s)) out.push(b)
  } else {
    writeInt(out, s.length, 7, 0)
    for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff)
  }
}

export interface EncodeOptions {
  /** Huffman-code strings where that is shorter. Default true. */
  huffman?: boolean
  /** Dynamic table size updates to put first (passed on from a decoded block). */
  tableSizeUpdates?: readonly number[]
}

/**
 * Encodes a header block that leaves the decoder's dynamic table as it was: exact static
 * matches are indexed, everything else is a literal without indexing (never indexed when
 * the field is sensitive), with a static name reference where there is one.
 */
export function encodeHeaderBlock(fields: readonly HeaderField[], opts: EncodeOptions = {}): Buffer {
  const huffman = opts.huffman ?? true
  const out: number[] = []
  for (const size of opts.tableSizeUpdates ?? []) writeInt(out, size, 5, 0x20)
  for (const { name, value, sensitive } of fields) {
    if (!sensitive) {
      const pair = STATIC_PAIR.get(`${name}\0${value}`)
      if (pair !== undefined) {
        writeInt(out, pair, 7, 0x80)
        continue
      }
    }
    const first = sensitive ? 0x10 : 0x00
    const nameIndex = STATIC_NAME.get(name)
    if (nameIndex !== undefined) {
      writeInt(out, nameIndex, 4, first)
    } else {
      out.push(first)
      writeString(out, name, huffman)
    }
    writeString(out, value, huffman)
  }
  return Buffer.from(out)
}
