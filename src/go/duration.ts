// Go's time.Duration: ParseDuration and String.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

const PART = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/

/**
 * time.ParseDuration ("300ms", "1.5h", "2h45m", "-5s") in milliseconds, or undefined if malformed.
 * A bare "0" (signed or not) is zero; any other number needs a unit. Surrounding blanks are ignored.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text.trim()
  let sign = 1
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1
    rest = rest.slice(1)
  }
  if (rest === '0') return 0
  if (rest === '') return undefined
  let total = 0
  while (rest.length > 0) {
    const match = PART.exec(rest)
    if (!match) return undefined
    total += Number(match[1]) * UNIT_MS[match[2]]
    rest = rest.slice(match[0].length)
  }
  return sign * total
}

function frac(v: bigint, prec: number): string {
  const p = 10n ** BigInt(prec)
  const f = (v % p).toString().padStart(prec, '0').replace(/0+$/, '')
  return (v / p).toString() + (f ? '.' + f : '')
}

/** time.Duration.String() of a duration in nanoseconds, e.g. "1.692518ms", "2m3.5s". */
export function formatDuration(nanoseconds: bigint | number): string {
  const d = BigInt(nanoseconds)
  if (d === 0n) return '0s'
  const sign = d < 0n ? '-' : ''
  const u = d < 0n ? -d : d
  if (u < 1000n) return `${sign}${u}ns`
  if (u < 1000000n) return `${sign}${frac(u, 3)}µs`
  if (u < 1000000000n) return `${sign}${frac(u, 6)}ms`
  const secs = u / 1000000000n
  let s = frac((secs % 60n) * 1000000000n + (u % 1000000000n), 9) + 's'
  const mins = secs / 60n
  if (mins > 0n) {
    s = `${mins % 60n}m` + s
    const hours = mins / 60n
    if (hours > 0n) s = `${hours}h` + s
  }
  return sign + s
}
