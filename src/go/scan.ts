// fmt.Sscanf for the verbs etcdctl's txn grammar uses: %q (a double- or
// back-quoted Go string, yielding bytes) and %s (a space-delimited word),
// with Go's rules for literal text and spaces in the format.
import { isSpace } from './unicode.js'
import { unquote } from './strconv.js'

export interface ScanResult {
  /** How many operands were stored before scanning stopped. */
  n: number
  values: Buffer[]
  err?: string
}

class ScanError extends Error {}

const EOF = -1

class Scanner {
  private pos = 0
  private readonly runes: number[]

  constructor(input: string) {
    this.runes = Array.from(input, (c) => c.codePointAt(0)!)
  }

  getRune(): number {
    return this.pos < this.runes.length ? this.runes[this.pos++] : EOF
  }

  unreadRune(): void {
    this.pos--
  }

  mustReadRune(): number {
    const r = this.getRune()
    if (r === EOF) throw new ScanError('unexpected EOF')
    return r
  }

  skipSpace(): void {
    for (;;) {
      const r = this.getRune()
      if (r === EOF) return
      if (r === 0x0d && this.runes[this.pos] === 0x0a) continue
      if (r === 0x0a) throw new ScanError('unexpected newline')
      if (!isSpace(r)) {
        this.unreadRune()
        return
      }
    }
  }

  /** Returns format runes consumed, or -1 when input does not match a literal. */
  advance(format: number[]): number {
    let i = 0
    while (i < format.length) {
      let c = format[i]
      if (isSpace(c)) {
        let newlines = 0
        let trailing = false
        while (i < format.length && isSpace(c)) {
          if (c === 0x0a) {
            newlines++
            trailing = false
          } else {
            trailing = true
          }
          c = format[++i]
        }
        for (let j = 0; j < newlines; j++) {
          let r = this.getRune()
          while (isSpace(r) && r !== 0x0a) r = this.getRune()
          if (r !== 0x0a && r !== EOF) throw new ScanError('newline in format does not match input')
        }
        if (trailing) {
          let r = this.getRune()
          if (newlines === 0) {
            if (!isSpace(r) && r !== EOF) throw new ScanError('expected space in input to match format')
            if (r === 0x0a) throw new ScanError('newline in input does not match format')
          }
          while (isSpace(r) && r !== 0x0a) r = this.getRune()
          if (r !== EOF) this.unreadRune()
        }
        continue
      }
      if (c === 0x25) {
        if (i + 1 === format.length) throw new ScanError('missing verb: % at end of format string')
        if (format[i + 1] !== 0x25) return i
        i++
      }
      const r = this.mustReadRune()
      if (r !== c) {
        this.unreadRune()
        return -1
      }
      i++
    }
    return i
  }

  quoted(): Buffer {
    const q = this.getRune()
    let lit = String.fromCodePoint(q)
    if (q === 0x60) {
      for (;;) {
        const r = this.mustReadRune()
        if (r === q) return Buffer.from(lit.slice(1), 'utf8')
        lit += String.fromCodePoint(r)
      }
    }
    if (q !== 0x22) throw new ScanError('expected quoted string')
    for (;;) {
      const r = this.mustReadRune()
      lit += String.fromCodePoint(r)
      if (r === 0x5c) lit += String.fromCodePoint(this.mustReadRune())
      else if (r === q) break
    }
    const v = unquote(lit)
    if (v === undefined) throw new ScanError('invalid syntax')
    return v
  }

  word(): Buffer {
    this.skipSpace()
    let w = ''
    for (;;) {
      const r = this.getRune()
      if (r === EOF) break
      if (isSpace(r)) {
        this.unreadRune()
        break
      }
      w += String.fromCodePoint(r)
    }
    return Buffer.from(w, 'utf8')
  }

  scanString(verb: number): Buffer {
    this.skipSpace()
    if (this.getRune() === EOF) throw new ScanError('EOF')
    this.unreadRune()
    return verb === 0x71 ? this.quoted() : this.word()
  }
}

/** fmt.Sscanf(input, format, &operands...) with `operands` string operands. */
export function sscanf(input: string, format: string, operands: number): ScanResult {
  const s = new Scanner(input)
  const f = Array.from(format, (c) => c.codePointAt(0)!)
  const values: Buffer[] = []
  try {
    for (let i = 0; i < f.length;) {
      const w = s.advance(f.slice(i))
      if (w > 0) {
        i += w
        continue
      }
      if (f[i] !== 0x25) {
        if (w < 0) throw new ScanError('input does not match format')
        break
      }
      const verb = f[i + 1]
      i += 2
      if (verb !== 0x71 && verb !== 0x73) throw new ScanError(`bad verb '%${String.fromCodePoint(verb)}'`)
      if (values.length >= operands) throw new ScanError('too few operands for format')
      values.push(s.scanString(verb))
    }
    if (values.length < operands) throw new ScanError('too many operands')
  } catch (e) {
    if (!(e instanceof ScanError)) throw e
    return { n: values.length, values, err: e.message }
  }
  return { n: values.length, values }
}
