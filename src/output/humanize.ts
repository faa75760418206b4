// github.com/dustin/go-humanize Bytes(): SI units, one decimal below 10.

const SIZES = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB']

/** Go's %.0f: round half to even on the (exact) binary value. */
function fixed0(v: number): string {
  const f = Math.floor(v)
  const d = v - f
  if (d > 0.5 || (d === 0.5 && f % 2 === 1)) return String(f + 1)
  return String(f)
}

export function humanizeBytes(size: number | bigint): string {
  const s = Number(size)
  if (s < 10) return `${s} B`
  const e = Math.floor(Math.log(s) / Math.log(1000))
  const suffix = SIZES[e]
  const val = Math.floor((s / Math.pow(1000, e)) * 10 + 0.5) / 10
  return val < 10 ? `${val.toFixed(1)} ${suffix}` : `${fixed0(val)} ${suffix}`
}
