// Character classes as Go's unicode and fmt packages define them.

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u

/** unicode.IsPrint / strconv.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space. */
export function isPrint(r: number): boolean {
  if (r === 0x20) return true
  if (r < 0x20 || r === 0x7f) return false
  if (r >= 0xd800 && r <= 0xdfff) return false
  return PRINTABLE.test(String.fromCodePoint(r))
}

/** unicode.IsSpace, which is also the set fmt's scanner treats as space. */
export function isSpace(r: number): boolean {
  if (r <= 0xff) return r === 0x20 || (r >= 0x09 && r <= 0x0d) || r === 0x85 || r === 0xa0
  return (
    r === 0x1680 ||
    (r >= 0x2000 && r <= 0x200a) ||
    r === 0x2028 ||
    r === 0x2029 ||
    r === 0x202f ||
    r === 0x205f ||
    r === 0x3000
  )
}

/** strings.TrimSpace */
export function trimSpace(s: string): string {
  const cps = Array.from(s)
  let a = 0
  let b = cps.length
  while (a < b && isSpace(cps[a].codePointAt(0)!)) a++
  while (b > a && isSpace(cps[b - 1].codePointAt(0)!)) b--
  return cps.slice(a, b).join('')
}
