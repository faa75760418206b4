import type { JsonName } from './x509.js'
import { PkiError } from './errors.js'

/** The attribute keys of one entry of cfssl's `names` array. */
export const NAME_KEYS = ['C', 'ST', 'L', 'O', 'OU'] as const
export type NameKey = (typeof NAME_KEYS)[number]

/** One `names` entry: `{"C": "CN", "ST": "SH", "L": "SH", "O": "etcd", "OU": "ops"}`. */
export type NameEntry = Partial<Record<NameKey, string>>

/** Checks one `names` entry from JSON; `where` says where it came from for errors. */
export function checkNameEntry(value: unknown, where: string): NameEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PkiError(`${where}: each "names" entry must be an object like {"C": "US", "O": "example"}`)
  }
  const entry: NameEntry = {}
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (!(NAME_KEYS as readonly string[]).includes(key)) {
      throw new PkiError(`${where}: unknown name attribute "${key}" (known: ${NAME_KEYS.join(', ')})`)
    }
    if (typeof field !== 'string') throw new PkiError(`${where}: name attribute "${key}" must be a string`)
    if (field !== '') entry[key as NameKey] = field
  }
  return entry
}

/** Parses the command-line form of a names entry: "C=US,ST=CA,L=SF,O=example,OU=ops". */
export function parseNameEntry(text: string): NameEntry {
  const raw: Record<string, string> = {}
  for (const part of text.split(',')) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new PkiError(`invalid name "${text}": expected KEY=VALUE pairs such as C=US,O=example`)
    raw[part.slice(0, eq).trim()] = part.slice(eq + 1).trim()
  }
  return checkNameEntry(raw, `name "${text}"`)
}

/**
 * The subject distinguished name: country, state, locality, organization, unit, then CN,
 * the order Go's crypto/x509 (and so cfssl) writes. Several values of one attribute
 * share one relative distinguished name, as there.
 */
export function subjectName(cn: string, names: readonly NameEntry[]): JsonName {
  const order: NameKey[] = ['C', 'ST', 'L', 'O', 'OU']
  const rdns: JsonName = []
  for (const key of order) {
    const values = names.map((n) => n[key]).filter((v): v is string => v !== undefined)
    if (values.length > 0) rdns.push({ [key]: values })
  }
  if (cn !== '') rdns.push({ CN: [cn] })
  return rdns
}
