// The table look of github.com/olekukonko/tablewriter as etcdctl configures
// it: borders, header centred and upper-cased, cells right-aligned, cells
// wider than 30 columns word-wrapped (words are never split).
import { stringWidth } from './runewidth.js'
import { trimSpace } from '../go/unicode.js'

const MAX_WIDTH = 30

function wrapWords(words: string[], lim: number): string[][] {
  const n = words.length
  const len: number[][] = []
  for (let i = 0; i < n; i++) {
    len.push(new Array<number>(n).fill(0))
    len[i][i] = stringWidth(words[i])
    for (let j = i + 1; j < n; j++) len[i][j] = len[i][j - 1] + 1 + stringWidth(words[j])
  }
  const nbrk = new Array<number>(n).fill(0)
  const cost = new Array<number>(n).fill(2 ** 31 - 1)
  for (let i = n - 1; i >= 0; i--) {
    if (len[i][n - 1] <= lim) {
      cost[i] = 0
      nbrk[i] = n
      continue
    }
    for (let j = i + 1; j < n; j++) {
      const d = lim - len[i][j - 1]
      let c = d * d + cost[j]
      if (len[i][j - 1] > lim) c += 1e5
      if (c < cost[i]) {
        cost[i] = c
        nbrk[i] = j
      }
    }
  }
  const lines: string[][] = []
  for (let i = 0; i < n; i = nbrk[i]) lines.push(words.slice(i, nbrk[i]))
  return lines
}

function wrapString(s: string, limit: number): string[] {
  const words = s.replace(/\n/g, ' ').split(' ')
  let lim = limit
  for (const w of words) lim = Math.max(lim, stringWidth(w))
  return wrapWords(words, lim).map((l) => l.join(' '))
}

/** tablewriter.Title: header text as printed. */
function title(name: string): string {
  const rs = Array.from(name)
  const numOrSpace = (c: string | undefined): boolean => c !== undefined && /[0-9 ]/.test(c)
  for (let i = 0; i < rs.length; i++) {
    if (rs[i] === '_') rs[i] = ' '
    else if (rs[i] === '.' && ((i !== 0 && !numOrSpace(rs[i - 1])) || (i !== rs.length - 1 && !numOrSpace(rs[i + 1]))))
      rs[i] = ' '
  }
  let t = trimSpace(rs.join(''))
  if (t.length === 0 && name.length > 0) t = ' '
  return t.toUpperCase()
}

function padCenter(s: string, width: number): string {
  const gap = width - stringWidth(s)
  if (gap <= 0) return s
  const left = Math.floor(gap / 2)
  return ' '.repeat(left) + s + ' '.repeat(gap - left)
}

function padLeft(s: string, width: number): string {
  const gap = width - stringWidth(s)
  return gap > 0 ? ' '.repeat(gap) + s : s
}

class Table {
  private readonly cs = new Map<number, number>()
  private readonly rs = new Map<number, number>()
  private readonly headers: string[][] = []
  private readonly lines: string[][][] = []

  setHeader(keys: string[]): void {
    keys.forEach((k, i) => this.headers.push(this.parseDimension(k, i, -1)))
  }

  append(row: string[]): void {
    const n = this.lines.length
    this.lines.push(row.map((v, i) => this.parseDimension(v, i, n)))
  }

  private parseDimension(str: string, col: number, rowKey: number): string[] {
    let raw = str.split('\n')
    let maxWidth = Math.max(0, ...raw.map(stringWidth))
    if (maxWidth > MAX_WIDTH) maxWidth = MAX_WIDTH
    let newMax = maxWidth
    const paras = [raw.join(' ')]
    const out: string[] = []
    paras.forEach((p, i) => {
      const pl = wrapString(p, maxWidth)
      for (const l of pl) newMax = Math.max(newMax, stringWidth(l))
      if (i > 0) out.push(' ')
      out.push(...pl)
    })
    raw = out
    maxWidth = newMax
    const w = this.cs.get(col)
    if (w === undefined || w < maxWidth || w === 0) this.cs.set(col, maxWidth)
    const h = this.rs.get(rowKey)
    if (h === undefined || h < raw.length || h === 0) this.rs.set(rowKey, raw.length)
    return raw
  }

  private line(): string {
    let s = '+'
    for (let i = 0; i < this.cs.size; i++) s += '-' + '-'.repeat(this.cs.get(i)!) + '-+'
    return s + '\n'
  }

  /** paint(row, col, text) styles a cell's padded text (colour); the layout is computed without it. */
  render(paint?: CellPaint): string {
    let s = this.line()
    const end = this.cs.size - 1
    if (this.headers.length > 0) {
      for (let x = 0; x < this.rs.get(-1)!; x++) {
        s += '|'
        for (let y = 0; y <= end; y++) {
          const h = y < this.headers.length && x < this.headers[y].length ? this.headers[y][x] : ''
          s += ' ' + padCenter(title(h), this.cs.get(y)!) + ' |'
        }
        s += '\n'
      }
      s += this.line()
    }
    this.lines.forEach((cols, idx) => {
      const max = this.rs.get(idx)!
      const padded = cols.map((c) => [...c, ...new Array<string>(Math.max(0, max - c.length)).fill('  ')])
      for (let x = 0; x < max; x++) {
        for (let y = 0; y < padded.length; y++) {
          const cell = padLeft(padded[y][x], this.cs.get(y)!)
          s += '| ' + (paint ? paint(idx, y, cell) : cell) + ' '
        }
        s += '|\n'
      }
    })
    return s + this.line()
  }
}

export type CellPaint = (row: number, col: number, text: string) => string

export function renderTable(header: string[], rows: string[][], paint?: CellPaint): string {
  const t = new Table()
  t.setHeader(header)
  for (const r of rows) t.append(r)
  return t.render(paint)
}
