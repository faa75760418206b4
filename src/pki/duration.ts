import { parseGoDuration } from '../go/duration.js'
import { PkiError } from './errors.js'

/**
 * Parses a Go duration ("43800h", "1h30m", "1.5h", "90s") into milliseconds.
 * A bare "0" is zero; any other number needs a unit, as in Go's time.ParseDuration.
 */
export function parseDuration(text: string): number {
  const ms = parseGoDuration(text)
  if (ms !== undefined) return ms
  if (text.trim().replace(/^[-+]/, '') === '')
    throw new PkiError(`invalid duration "${text}": expected a number and a unit, e.g. 43800h`)
  throw new PkiError(
    `invalid duration "${text}": expected numbers with units ns, us, ms, s, m or h (e.g. 43800h, 1h30m)`,
  )
}

/** Parses a duration that must be longer than zero (certificate lifetimes). */
export function parsePositiveDuration(text: string, what: string): number {
  const ms = parseDuration(text)
  if (!(ms > 0)) throw new PkiError(`${what} must be a positive duration, got "${text}"`)
  return ms
}
