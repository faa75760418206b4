import { PkiError } from './errors.js'
import { parsePositiveDuration } from './duration.js'
import { resolveUsages, type ResolvedUsages } from './usages.js'

/** A signing profile: what a certificate may be used for and how long it lives. */
export interface SigningProfile {
  name: string
  usages: string[]
  /** Undefined: take the default profile's expiry. */
  expiryMs?: number
  /** Set when the profile issues CA certificates (cfssl's `ca_constraint.is_ca`). */
  isCa?: boolean
  maxPathLen?: number
}

/** cfssl's ca-config.json `signing` block. */
export interface SigningConfig {
  source: string
  defaultProfile: SigningProfile
  profiles: Record<string, SigningProfile>
}

export const HOUR_MS = 3_600_000
export const DEFAULT_EXPIRY_MS = 8760 * HOUR_MS
export const FIVE_YEARS_MS = 43800 * HOUR_MS

const SERVER_USAGES = ['signing', 'key encipherment', 'server auth', 'client auth']

/** The profiles used when no ca-config.json is given (the ones every etcd TLS guide writes). */
export const BUILTIN_CONFIG: SigningConfig = {
  source: 'built-in profiles',
  defaultProfile: { name: 'default', usages: SERVER_USAGES, expiryMs: DEFAULT_EXPIRY_MS },
  profiles: {
    server: { name: 'server', usages: SERVER_USAGES, expiryMs: FIVE_YEARS_MS },
    peer: { name: 'peer', usages: SERVER_USAGES, expiryMs: FIVE_YEARS_MS },
    client: { name: 'client', usages: ['signing', 'key encipherment', 'client auth'], expiryMs: FIVE_YEARS_MS },
  },
}

/** Reads ca-config.json text. `source` names the file in errors. */
export function parseSigningConfig(text: string, source: string): SigningConfig {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new PkiError(`${source}: not valid JSON (${(err as Error).message})`)
  }
  const signing = isObject(doc) ? doc.signing : undefined
  if (!isObject(signing))
    throw new PkiError(
      `${source}: missing the "signing" object (expected {"signing": {"default": {...}, "profiles": {...}}})`,
    )
  const defaultProfile =
    signing.default === undefined ? BUILTIN_CONFIG.defaultProfile : readProfile('default', signing.default, source)
  const profiles: Record<string, SigningProfile> = {}
  if (signing.profiles !== undefined) {
    if (!isObject(signing.profiles))
      throw new PkiError(`${source}: "signing.profiles" must be an object of named profiles`)
    for (const [name, value] of Object.entries(signing.profiles)) profiles[name] = readProfile(name, value, source)
  }
  return { source, defaultProfile, profiles }
}

/** The profile for `name` ("default" or absent: the default profile); unknown names are an error listing the known ones. */
export function findProfile(config: SigningConfig, name: string | undefined): SigningProfile {
  if (name === undefined || name === '' || name === 'default') return config.defaultProfile
  const profile = config.profiles[name]
  if (!profile) {
    const known = ['default', ...Object.keys(config.profiles)].join(', ')
    throw new PkiError(`unknown profile "${name}" in ${config.source} (known: ${known})`)
  }
  return profile
}

/** A profile's usages checked and mapped, and its lifetime with the default filled in. */
export function profilePolicy(config: SigningConfig, profile: SigningProfile): ResolvedUsages & { expiryMs: number } {
  const where = `profile "${profile.name}" in ${config.source}`
  if (profile.usages.length === 0)
    throw new PkiError(`${where} has no usages (add e.g. "usages": ["signing", "key encipherment", "server auth"])`)
  const usages = resolveUsages(profile.usages, where)
  return { ...usages, expiryMs: profile.expiryMs ?? config.defaultProfile.expiryMs ?? DEFAULT_EXPIRY_MS }
}

function readProfile(name: string, value: unknown, source: string): SigningProfile {
  const where = `${source}: profile "${name}"`
  if (!isObject(value)) throw new PkiError(`${where} must be an object`)
  const usages = value.usages ?? []
  if (!Array.isArray(usages) || usages.some((u) => typeof u !== 'string')) {
    throw new PkiError(`${where}: "usages" must be an array of strings`)
  }
  const profile: SigningProfile = { name, usages: usages as string[] }
  if (value.expiry !== undefined) {
    if (typeof value.expiry !== 'string')
      throw new PkiError(`${where}: "expiry" must be a duration string such as "43800h"`)
    try {
      profile.expiryMs = parsePositiveDuration(value.expiry, 'expiry')
    } catch (err) {
      throw new PkiError(`${where}: ${(err as Error).message}`)
    }
  }
  if (isObject(value.ca_constraint) && value.ca_constraint.is_ca === true) {
    profile.isCa = true
    const max = value.ca_constraint.max_path_len
    if (typeof max === 'number' && (max > 0 || value.ca_constraint.max_path_len_zero === true)) profile.maxPathLen = max
  }
  // Check the usage words now so a typo is reported when the file is read.
  resolveUsages(profile.usages, where)
  return profile
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
