// The few fmt verbs etcdctl's printers use on integers.

/** %x, %016x (zero: true) or %16x (zero: false) of an integer, Go style. */
export function hex(v: bigint | number, width = 0, zero = false): string {
  const n = BigInt(v)
  const neg = n < 0n
  let digits = (neg ? -n : n).toString(16)
  if (zero && width > 0) digits = digits.padStart(neg ? width - 1 : width, '0')
  const s = (neg ? '-' : '') + digits
  return s.padStart(width, ' ')
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
  let s = frac(secs % 60n * 1000000000n + (u % 1000000000n), 9) + 's'
  const mins = secs / 60n
  if (mins > 0n) {
    s = `${mins % 60n}m` + s
    const hours = mins / 60n
    if (hours > 0n) s = `${hours}h` + s
  }
  return sign + s
}
