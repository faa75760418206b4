// Terminal cell width of text as github.com/mattn/go-runewidth computes it
// outside CJK locales: 0 for control and combining characters, 2 for East
// Asian wide ones, 1 otherwise.
import { COMBINING, DOUBLEWIDTH, NARROW, NONPRINT } from './runewidth-tables.js'

function inTable(r: number, t: ReadonlyArray<readonly [number, number]>): boolean {
  let lo = 0
  let hi = t.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (r < t[mid][0]) hi = mid - 1
    else if (r > t[mid][1]) lo = mid + 1
    else return true
  }
  return false
}

export function runeWidth(r: number): number {
  if (r < 0x20) return 0
  if ((r >= 0x7f && r <= 0x9f) || r === 0xad) return 0
  if (r < 0x300) return 1
  if (inTable(r, NARROW)) return 1
  if (inTable(r, NONPRINT) || inTable(r, COMBINING)) return 0
  if (inTable(r, DOUBLEWIDTH)) return 2
  return 1
}

export function stringWidth(s: string): number {
  let w = 0
  for (const ch of s) w += runeWidth(ch.codePointAt(0)!)
  return w
}
