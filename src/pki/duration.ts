import { PkiError } from './errors.js'

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

const PART = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/

/**
 * Parses a Go duration ("43800h", "1h30m", "1.5h", "90s") into milliseconds.
 * A bare "0" is zero; any other number needs a unit, as in Go's time.ParseDuration.
 */
export function parseDuration(text: string): number {
  const input = text.trim()
  let rest = input
  let sign = 1
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1
    rest = rest.slice(1)
  }
  if (rest === '0') return 0
  if (rest === '') throw new PkiError(`invalid duration "${text}": expected a number and a unit, e.g. 43800h`)
  let total = 0
  while (rest.length > 0) {
    const match = PART.exec(rest)
    if (!match) {
      throw new PkiError(`invalid duration "${text}": expected numbers with units ns, us, ms, s, m or h (e.g. 43800h, 1h30m)`)
    }
    total += Number(match[1]) * UNIT_MS[match[2]]
    rest = rest.slice(match[0].length)
  }
  return sign * total
}

/** Parses a duration that must be longer than zero (certificate lifetimes). */
export function parsePositiveDuration(text: string, what: string): number {
  const ms = parseDuration(text)
  if (!(ms > 0)) throw new PkiError(`${what} must be a positive duration, got "${text}"`)
  return ms
}
