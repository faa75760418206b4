// UTF-8 decoding with Go's utf8.DecodeRune semantics: an invalid or
// truncated sequence decodes to RuneError (U+FFFD) with width 1.

export const RUNE_ERROR = 0xfffd

export interface DecodedRune {
  rune: number
  size: number
}

export function decodeRune(b: Uint8Array, i: number): DecodedRune {
  const c0 = b[i]
  if (c0 < 0x80) return { rune: c0, size: 1 }
  const bad = { rune: RUNE_ERROR, size: 1 }
  const cont = (k: number): number => (i + k < b.length && (b[i + k] & 0xc0) === 0x80 ? b[i + k] & 0x3f : -1)
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    const c1 = cont(1)
    return c1 < 0 ? bad : { rune: ((c0 & 0x1f) << 6) | c1, size: 2 }
  }
  if (c0 >= 0xe0 && c0 <= 0xef) {
    const c1 = cont(1)
    const c2 = cont(2)
    if (c1 < 0 || c2 < 0) return bad
    const r = ((c0 & 0x0f) << 12) | (c1 << 6) | c2
    if (r < 0x800 || (r >= 0xd800 && r <= 0xdfff)) return bad
    return { rune: r, size: 3 }
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const c1 = cont(1)
    const c2 = cont(2)
    const c3 = cont(3)
    if (c1 < 0 || c2 < 0 || c3 < 0) return bad
    const r = ((c0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3
    if (r < 0x10000 || r > 0x10ffff) return bad
    return { rune: r, size: 4 }
  }
  return bad
}

/** Bytes of a Go string: JS strings are taken as UTF-8 text, byte arrays as they are. */
export function goBytes(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? Buffer.from(s, 'utf8') : s
}
