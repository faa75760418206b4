// Go's strconv behaviours that etcdctl's output and input parsing depend on.
import { decodeRune, goBytes, RUNE_ERROR } from './utf8.js'
import { isPrint } from './unicode.js'

const HEX = '0123456789abcdef'

function hex2(b: number): string {
  return HEX[b >> 4] + HEX[b & 15]
}

/** strconv.Quote (also what fmt's %q prints for a string or []byte). */
export function quote(s: string | Uint8Array): string {
  const b = goBytes(s)
  let out = '"'
  for (let i = 0; i < b.length;) {
    const { rune, size } = decodeRune(b, i)
    if (size === 1 && rune === RUNE_ERROR) {
      out += '\\x' + hex2(b[i])
    } else {
      out += escapeRune(rune)
    }
    i += size
  }
  return out + '"'
}

const SHORT: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' }

function escapeRune(r: number): string {
  if (r === 0x22 || r === 0x5c) return '\\' + String.fromCharCode(r)
  if (isPrint(r)) return String.fromCodePoint(r)
  if (SHORT[r] !== undefined) return SHORT[r]
  if (r < 0x20 || r === 0x7f) return '\\x' + hex2(r)
  if (r < 0x10000) return '\\u' + r.toString(16).padStart(4, '0')
  return '\\U' + r.toString(16).padStart(8, '0')
}

function unhex(c: string): number {
  const v = parseInt(c, 16)
  return /^[0-9a-fA-F]$/.test(c) ? v : -1
}

const SIMPLE_ESC: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 0x5c }

/**
 * strconv.Unquote for a double- or back-quoted Go string literal. Returns the
 * bytes it denotes (escapes such as \xff may yield invalid UTF-8), or
 * undefined for strconv.ErrSyntax ("invalid syntax").
 */
export function unquote(lit: string): Buffer | undefined {
  const cps = Array.from(lit)
  if (cps.length < 2) return undefined
  const q = cps[0]
  if (q === '`') {
    const end = cps.indexOf('`', 1)
    if (end !== cps.length - 1) return undefined
    return Buffer.from(
      cps
        .slice(1, end)
        .filter((c) => c !== '\r')
        .join(''),
      'utf8',
    )
  }
  if (q !== '"') return undefined
  const out: number[] = []
  let i = 1
  while (i < cps.length && cps[i] !== q) {
    const c = cps[i]
    if (c === '\n') return undefined
    if (c !== '\\') {
      out.push(...Buffer.from(c, 'utf8'))
      i++
      continue
    }
    const e = cps[i + 1]
    if (e === undefined) return undefined
    i += 2
    if (SIMPLE_ESC[e] !== undefined) {
      out.push(SIMPLE_ESC[e])
    } else if (e === '"') {
      out.push(0x22)
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8
      let v = 0
      for (let j = 0; j < n; j++) {
        const d = cps[i + j] === undefined ? -1 : unhex(cps[i + j])
        if (d < 0) return undefined
        v = v * 16 + d
      }
      i += n
      if (e === 'x') {
        out.push(v)
      } else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined
        out.push(...Buffer.from(String.fromCodePoint(v), 'utf8'))
      }
    } else if (e >= '0' && e <= '7') {
      let v = e.charCodeAt(0) - 48
      for (let j = 0; j < 2; j++) {
        const d = cps[i + j]
        if (d === undefined || d < '0' || d > '7') return undefined
        v = v * 8 + (d.charCodeAt(0) - 48)
      }
      i += 2
      if (v > 255) return undefined
      out.push(v)
    } else {
      return undefined
    }
  }
  if (i !== cps.length - 1) return undefined
  return Buffer.from(out)
}

export type ParseIntResult = { value: bigint; err?: undefined } | { value?: undefined; err: string }

/**
 * strconv.ParseInt(s, base, 64). Errors are rendered the way Go prints a
 * *strconv.NumError: `strconv.ParseInt: parsing "zz": invalid syntax`.
 */
export function parseInt64(s: string, base: number): ParseIntResult {
  const fail = (why: string): ParseIntResult => ({ err: `strconv.ParseInt: parsing ${quote(s)}: ${why}` })
  if (s.length === 0) return fail('invalid syntax')
  let body = s
  let neg = false
  if (body[0] === '+' || body[0] === '-') {
    neg = body[0] === '-'
    body = body.slice(1)
  }
  if (body.length === 0) return fail('invalid syntax')
  let b = base
  if (base === 0) {
    b = 10
    if (body[0] === '0') {
      const p = body.length >= 3 ? body[1].toLowerCase() : ''
      if (p === 'b' || p === 'o' || p === 'x') {
        b = p === 'b' ? 2 : p === 'o' ? 8 : 16
        body = body.slice(2)
      } else {
        b = 8
        body = body.slice(1)
      }
    }
  }
  let v = 0n
  let underscores = false
  for (const ch of body) {
    if (ch === '_' && base === 0) {
      underscores = true
      continue
    }
    const d = /^[0-9a-zA-Z]$/.test(ch) ? parseInt(ch, 36) : 99
    if (d >= b) return fail('invalid syntax')
    v = v * BigInt(b) + BigInt(d)
    if (v > 0xffffffffffffffffn) return fail('value out of range')
  }
  if (underscores && !underscoreOK(s)) return fail('invalid syntax')
  if (neg) v = -v
  if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return fail('value out of range')
  return { value: v }
}

// Go's underscoreOK: underscores only between digits or after a base prefix.
function underscoreOK(s0: string): boolean {
  let s = s0
  let saw = '^'
  let i = 0
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1)
  let hex = false
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1])) {
    i = 2
    saw = '0'
    hex = s[1] === 'x' || s[1] === 'X'
  }
  for (; i < s.length; i++) {
    const c = s[i]
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0'
      continue
    }
    if (c === '_') {
      if (saw !== '0') return false
      saw = '_'
      continue
    }
    if (saw === '_') return false
    saw = '!'
  }
  return saw !== '_'
}

/** strconv.ParseBool */
export function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false
  return undefined
}
