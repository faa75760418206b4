import { PkiError } from './errors.js'
import { parsePositiveDuration } from './duration.js'
import { checkKeySpec, DEFAULT_KEY, defaultSize, type KeySpec } from './key-spec.js'
import { checkNameEntry, type NameEntry } from './subject.js'
import { uniqueHosts } from './hosts.js'

/** The `ca` block of a CA request: `{"expiry": "87600h", "pathlen": 1}`. */
export interface CaRequestOptions {
  expiryMs?: number
  pathLen?: number
}

/** A certificate request in cfssl's CSR JSON terms. */
export interface CsrRequest {
  cn: string
  names: NameEntry[]
  hosts: string[]
  key: KeySpec
  ca?: CaRequestOptions
}

/** Reads cfssl CSR JSON text. `source` (a file name) prefixes every error. */
export function parseCsrRequest(text: string, source: string): CsrRequest {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new PkiError(`${source}: not valid JSON (${(err as Error).message})`)
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new PkiError(`${source}: expected a JSON object like {"CN": "etcd", "key": {"algo": "ecdsa", "size": 256}}`)
  }
  const obj = doc as Record<string, unknown>
  return {
    cn: readCn(obj, source),
    names: readNames(obj.names, source),
    hosts: readHosts(obj.hosts, source),
    key: readKey(obj.key, source),
    ca: readCa(obj.ca, source),
  }
}

/** A request with no file: just a CN and cfssl's default key. */
export function emptyCsrRequest(cn: string): CsrRequest {
  return { cn, names: [], hosts: [], key: DEFAULT_KEY }
}

function readCn(obj: Record<string, unknown>, source: string): string {
  const cn = obj.CN ?? obj.cn
  if (cn === undefined) return ''
  if (typeof cn !== 'string') throw new PkiError(`${source}: "CN" must be a string`)
  return cn
}

function readNames(value: unknown, source: string): NameEntry[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw new PkiError(`${source}: "names" must be an array of objects`)
  return value.map((entry) => checkNameEntry(entry, source))
}

function readHosts(value: unknown, source: string): string[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || value.some((h) => typeof h !== 'string')) {
    throw new PkiError(`${source}: "hosts" must be an array of strings (IP addresses and DNS names)`)
  }
  return uniqueHosts(value as string[])
}

function readKey(value: unknown, source: string): KeySpec {
  if (value === undefined || value === null) return DEFAULT_KEY
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new PkiError(`${source}: "key" must be an object like {"algo": "rsa", "size": 2048}`)
  }
  const { algo, size } = value as Record<string, unknown>
  try {
    const chosenAlgo = algo ?? DEFAULT_KEY.algo
    const chosenSize = size ?? (chosenAlgo === 'rsa' || chosenAlgo === 'ecdsa' ? defaultSize(chosenAlgo) : undefined)
    return checkKeySpec(chosenAlgo, chosenSize)
  } catch (err) {
    throw new PkiError(`${source}: ${(err as Error).message}`)
  }
}

function readCa(value: unknown, source: string): CaRequestOptions | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) throw new PkiError(`${source}: "ca" must be an object`)
  const obj = value as Record<string, unknown>
  const out: CaRequestOptions = {}
  if (obj.expiry !== undefined) {
    if (typeof obj.expiry !== 'string')
      throw new PkiError(`${source}: "ca.expiry" must be a duration string such as "87600h"`)
    try {
      out.expiryMs = parsePositiveDuration(obj.expiry, 'ca.expiry')
    } catch (err) {
      throw new PkiError(`${source}: ${(err as Error).message}`)
    }
  }
  if (obj.pathlen !== undefined) {
    if (typeof obj.pathlen !== 'number' || !Number.isInteger(obj.pathlen) || obj.pathlen < 0) {
      throw new PkiError(`${source}: "ca.pathlen" must be a non-negative integer`)
    }
    if (obj.pathlen > 0 || obj.pathlenzero === true) out.pathLen = obj.pathlen
  }
  return out
}
