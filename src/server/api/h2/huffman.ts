/**
 * HPACK's Huffman code (RFC 7541 Appendix B). The code is canonical: ordering the symbols
 * by code length and then by value and counting upwards gives every code, so the table
 * here is the 257 code lengths (byte values 0-255, then EOS) and the codes are derived.
 */

// prettier-ignore
const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30, // EOS
]

const EOS = 256
const MAX_LEN = 30

/** Code of each symbol (right-aligned in `CODE_LENGTHS[s]` bits). */
export const CODES = new Uint32Array(257)
export const CODE_LENGTHS = Uint8Array.from(LENGTHS)

/** Canonical decoding: for each length, its first code, and where its symbols start in SORTED. */
const FIRST_CODE = new Int32Array(MAX_LEN + 2)
const COUNT = new Int32Array(MAX_LEN + 2)
const OFFSET = new Int32Array(MAX_LEN + 2)
const SORTED = new Uint16Array(257)

{
  const order = [...LENGTHS.keys()].sort((a, b) => LENGTHS[a]! - LENGTHS[b]! || a - b)
  let code = 0
  let len = LENGTHS[order[0]!]!
  order.forEach((s, i) => {
    const l = LENGTHS[s]!
    code <<= l - len
    if (l !== len || i === 0) {
      FIRST_CODE[l] = code
      OFFSET[l] = i
    }
    len = l
    CODES[s] = code
    COUNT[l]!++
    SORTED[i] = s
    code++
  })
}

export class HuffmanError extends Error {}

/** Bytes the Huffman coding of `s` (latin1) takes. */
export function huffmanLength(s: string): number {
  let bits = 0
  for (let i = 0; i < s.length; i++) bits += CODE_LENGTHS[s.charCodeAt(i) & 0xff]!
  return (bits + 7) >>> 3
}

/** Huffman-codes a latin1 string, padded with the EOS prefix (1 bits). */
export function huffmanEncode(s: string): Buffer {
  const out = Buffer.allocUnsafe(huffmanLength(s))
  let acc = 0 // pending bits, right-aligned; fewer than 8 of them between symbols
  let n = 0
  let o = 0
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff
    let len = CODE_LENGTHS[sym]!
    const code = CODES[sym]!
    // Feed the code in chunks of at most 16 bits so `acc` stays within 31 bits.
    while (len > 0) {
      const take = len > 16 ? len - 16 : len
      acc = (acc << take) | ((code >>> (len - take)) & ((1 << take) - 1))
      n += take
      len -= take
      while (n >= 8) {
        n -= 8
        out[o++] = (acc >>> n) & 0xff
      }
      acc &= (1 << n) - 1
    }
  }
  if (n > 0) out[o] = ((acc << (8 - n)) | ((1 << (8 - n)) - 1)) & 0xff
  return out
}

/**
 * Decodes a Huffman-coded string to latin1. Fails (as RFC 7541 5.2 requires) on the EOS
 * symbol, on padding longer than 7 bits, and on padding that is not all 1 bits.
 */
export function huffmanDecode(buf: Uint8Array, start = 0, end = buf.length): string {
  let out = ''
  let code = 0
  let len = 0
  for (let i = start; i < end; i++) {
    const byte = buf[i]!
    for (let b = 7; b >= 0; b--) {
      code = (code << 1) | ((byte >>> b) & 1)
      len++
      const k = code - FIRST_CODE[len]!
      if (COUNT[len]! > 0 && k >= 0 && k < COUNT[len]!) {
        const sym = SORTED[OFFSET[len]! + k]!
        if (sym === EOS) throw new HuffmanError('HPACK: EOS in a Huffman-coded string')
        out += String.fromCharCode(sym)
        code = 0
        len = 0
      } else if (len >= MAX_LEN) {
        throw new HuffmanError('HPACK: invalid Huffman code')
      }
    }
  }
  if (len > 7) throw new HuffmanError('HPACK: Huffman padding longer than 7 bits')
  if (code !== (1 << len) - 1) throw new HuffmanError('HPACK: Huffman padding is not the EOS prefix')
  return out
}
