/**
 * Flags tsetcd accepts only at their default (see `defaultOnly` in flags.ts): a unit file or
 * config file that spells out a default starts; any other value stops the member at start-up
 * naming the flag, so that nothing is silently ignored.
 */
import { FLAGS, type FlagDef } from './flags.js'
import { parseGoDuration } from '../../go/duration.js'
import { ConfigError, type RawValues } from './parse.js'

/** A value in a form where equal settings compare equal ("1" and "true", "0s" and "0"). */
function canonical(def: FlagDef, value: string): string {
  switch (def.type) {
    case 'bool':
      return String(/^(1|t|true)$/i.test(value))
    case 'int':
    case 'uint':
      return String(Number(value))
    case 'duration':
      return String(parseGoDuration(value))
    default:
      return value.trim()
  }
}

export function isDefault(def: FlagDef, value: string): boolean {
  const v = canonical(def, value)
  return [def.default, ...(def.alsoDefault ?? [])].some((d) => canonical(def, d) === v)
}

export function notSupported(flag: string, value: string, def: string): ConfigError {
  return new ConfigError(
    `--${flag} is not supported yet by tsetcd (given "${value}"; only the default "${def}" is accepted)`,
  )
}

/** Throws for the first default-only flag given another value. */
export function checkDefaultOnly(values: RawValues): void {
  for (const def of FLAGS) {
    if (!def.defaultOnly) continue
    const value = values.get(def.name)
    if (value !== undefined && !isDefault(def, value)) throw notSupported(def.name, value, def.default)
  }
}
