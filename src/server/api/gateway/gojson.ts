/**
 * A JSON reader that accepts and refuses what Go's encoding/json does, with its error
 * messages ("invalid character 'b' looking for beginning of object key string", "unexpected
 * EOF"), since the gateway's clients see those words. Values come back as a small tree that
 * keeps each scalar's source text (jsonpb re-reads quoted numbers from it).
 */

export type JsonNode =
  | { t: 'object'; fields: Map<string, JsonNode> }
  | { t: 'array'; items: JsonNode[] }
  | { t: 'string'; value: string; raw: string }
  | { t: 'number'; raw: string }
  | { t: 'bool'; value: boolean }
  | { t: 'null' }

/** A malformed document, worded as Go's encoding/json words it. */
export class GoJsonError extends Error {}

/** The input ended inside a value (Go: io.ErrUnexpectedEOF, or "unexpected end of JSON input"). */
class Truncated extends Error {}

/** Go's quoteChar: how a byte is named in a syntax error. */
export function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`
  if (c === 0x22) return `'"'`
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' }
  if (named[c] !== undefined) return `'${named[c]}'`
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`
  if (c === 0x5c) return `'\\\\'`
  if ((c >= 0x80 && c < 0xa1) || c === 0xad) return `'\\u00${c.toString(16).padStart(2, '0')}'`
  return `'${String.fromCodePoint(c)}'`
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)

class Reader {
  pos: number
  constructor(
    private readonly buf: Buffer,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start
  }

  peek(): number {
    if (this.pos >= this.end) throw new Truncated()
    return this.buf[this.pos]
  }

  atEnd(): boolean {
    return this.pos >= this.end
  }

  skipSpace(): void {
    while (this.pos < this.end && isSpace(this.buf[this.pos])) this.pos++
  }

  bad(c: number, context: string): GoJsonError {
    return new GoJsonError(`invalid character ${quoteChar(c)} ${context}`)
  }

  /** A value; `after` names what the enclosing state says of a byte that cannot follow it. */
  value(): JsonNode {
    this.skipSpace()
    const c = this.peek()
    if (c === 0x7b) return this.object()
    if (c === 0x5b) return this.array()
    if (c === 0x22) return this.string()
    if (c === 0x2d || isDigit(c)) return this.number()
    if (c === 0x74) return this.literal('true', { t: 'bool', value: true })
    if (c === 0x66) return this.literal('false', { t: 'bool', value: false })
    if (c === 0x6e) return this.literal('null', { t: 'null' })
    throw this.bad(c, 'looking for beginning of value')
  }

  private object(): JsonNode {
    this.pos++
    const fields = new Map<string, JsonNode>()
    this.skipSpace()
    if (this.peek() === 0x7d) {
      this.pos++
      return { t: 'object', fields }
    }
    for (;;) {
      this.skipSpace()
      const c = this.peek()
      if (c !== 0x22) throw this.bad(c, 'looking for beginning of object key string')
      const key = this.string() as { value: string }
      this.skipSpace()
      const colon = this.peek()
      if (colon !== 0x3a) throw this.bad(colon, 'after object key')
      this.pos++
      fields.set(key.value, this.value())
      this.skipSpace()
      const next = this.peek()
      this.pos++
      if (next === 0x7d) return { t: 'object', fields }
      if (next !== 0x2c) throw this.bad(next, 'after object key:value pair')
    }
  }

  private array(): JsonNode {
    this.pos++
    const items: JsonNode[] = []
    this.skipSpace()
    if (this.peek() === 0x5d) {
      this.pos++
      return { t: 'array', items }
    }
    for (;;) {
      items.push(this.value())
      this.skipSpace()
      const next = this.peek()
      this.pos++
      if (next === 0x5d) return { t: 'array', items }
      if (next !== 0x2c) throw this.bad(next, 'after array element')
    }
  }

  private string(): JsonNode {
    const start = this.pos++
    const parts: Buffer[] = []
    let run = this.pos
    for (;;) {
      const c = this.peek()
      if (c === 0x22) {
        parts.push(this.buf.subarray(run, this.pos))
        this.pos++
        break
      }
      if (c < 0x20) throw this.bad(c, 'in string literal')
      if (c !== 0x5c) {
        this.pos++
        continue
      }
      parts.push(this.buf.subarray(run, this.pos))
      this.pos++
      const e = this.peek()
      this.pos++
      const simple: Record<number, string> = { 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' }
      if (e === 0x22 || e === 0x5c || e === 0x2f) parts.push(Buffer.of(e))
      else if (simple[e] !== undefined) parts.push(Buffer.from(simple[e]))
      else if (e === 0x75) {
        let code = this.hex4()
        if (code >= 0xd800 && code < 0xdc00) {
          // A surrogate pair when a low surrogate follows; Go writes U+FFFD for a lone one.
          const save = this.pos
          if (this.pos + 1 < this.end && this.buf[this.pos] === 0x5c && this.buf[this.pos + 1] === 0x75) {
            this.pos += 2
            const low = this.hex4()
            if (low >= 0xdc00 && low < 0xe000) code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)
            else {
              this.pos = save
              code = 0xfffd
            }
          } else code = 0xfffd
        } else if (code >= 0xdc00 && code < 0xe000) code = 0xfffd
        parts.push(Buffer.from(String.fromCodePoint(code)))
      } else throw this.bad(e, 'in string escape code')
      run = this.pos
    }
    const raw = this.buf.subarray(start, this.pos).toString('latin1')
    return { t: 'string', value: Buffer.concat(parts).toString('utf8'), raw }
  }

  private hex4(): number {
    let v = 0
    for (let i = 0; i < 4; i++) {
      const c = this.peek()
      if (!isHex(c)) throw this.bad(c, 'in \\u hexadecimal character escape')
      v = v * 16 + parseInt(String.fromCharCode(c), 16)
      this.pos++
    }
    return v
  }

  private number(): JsonNode {
    const start = this.pos
    const more = (): number | undefined => (this.pos < this.end ? this.buf[this.pos] : undefined)
    if (this.buf[this.pos] === 0x2d) {
      this.pos++
      const c = this.peek()
      if (!isDigit(c)) throw this.bad(c, 'in numeric literal')
    }
    if (this.buf[this.pos] === 0x30) this.pos++
    else while (more() !== undefined && isDigit(more()!)) this.pos++
    if (more() === 0x2e) {
      this.pos++
      const c = this.peek()
      if (!isDigit(c)) throw this.bad(c, 'after decimal point in numeric literal')
      while (more() !== undefined && isDigit(more()!)) this.pos++
    }
    if (more() === 0x65 || more() === 0x45) {
      this.pos++
      let c = this.peek()
      if (c === 0x2b || c === 0x2d) {
        this.pos++
        c = this.peek()
      }
      if (!isDigit(c)) throw this.bad(c, 'in exponent of numeric literal')
      while (more() !== undefined && isDigit(more()!)) this.pos++
    }
    return { t: 'number', raw: this.buf.subarray(start, this.pos).toString('latin1') }
  }

  private literal(word: string, node: JsonNode): JsonNode {
    this.pos++
    for (let i = 1; i < word.length; i++) {
      const c = this.peek()
      if (c !== word.charCodeAt(i)) throw this.bad(c, `in literal ${word} (expecting '${word[i]}')`)
      this.pos++
    }
    return node
  }
}

export type DecodeResult = { node: JsonNode; next: number } | 'eof' | 'more'

/**
 * What Go's json.Decoder.Decode does with `buf[start, end)`: the next value and where it ends;
 * 'eof' when only whitespace is left; 'more' when a value has begun and is cut off (the
 * decoder would read on, or, at the end of the input, fail with "unexpected EOF").
 * Anything after the value is left for the next call.
 */
export function decodeNext(buf: Buffer, start = 0, end = buf.length): DecodeResult {
  const r = new Reader(buf, start, end)
  r.skipSpace()
  if (r.atEnd()) return 'eof'
  try {
    const node = r.value()
    return { node, next: r.pos }
  } catch (err) {
    if (err instanceof Truncated) return 'more'
    throw err
  }
}

/** Go's json.Unmarshal syntax check on a whole document: one value and nothing after it. */
export function parseWhole(text: string): JsonNode {
  const buf = Buffer.from(text, 'latin1')
  const r = new Reader(buf, 0, buf.length)
  try {
    const node = r.value()
    r.skipSpace()
    if (!r.atEnd()) throw r.bad(buf[r.pos], 'after top-level value')
    return node
  } catch (err) {
    if (err instanceof Truncated) throw new GoJsonError('unexpected end of JSON input')
    throw err
  }
}
