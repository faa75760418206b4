/**
 * Call metadata (custom headers and trailers), with grpc-js's Metadata methods. Request
 * metadata reads the HTTP/2 header object lazily: a call whose handler never looks at its
 * metadata pays nothing for it.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2'
import type { MetadataLike } from './types.js'

export type MetadataValue = string | Buffer

/** Headers that belong to the transport, not to the application. */
const RESERVED = new Set([
  'content-type',
  'te',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'accept-encoding',
  'host',
])

function isBinaryKey(key: string): boolean {
  return key.endsWith('-bin')
}

function valuesOf(key: string, raw: string | string[] | undefined): MetadataValue[] {
  if (raw === undefined) return []
  const list = Array.isArray(raw) ? raw : [raw]
  if (!isBinaryKey(key)) return list.slice()
  const out: MetadataValue[] = []
  for (const v of list) for (const part of v.split(',')) out.push(Buffer.from(part.trim(), 'base64'))
  return out
}

function validKey(key: string): string {
  const k = key.toLowerCase()
  if (!/^[0-9a-z_.-]+$/.test(k)) throw new Error(`Metadata key "${key}" contains illegal characters`)
  return k
}

export class Metadata implements MetadataLike {
  private map: Map<string, MetadataValue[]> | null = null
  private raw: IncomingHttpHeaders | null = null

  /** Request metadata over the headers of an incoming HTTP/2 stream. */
  static fromHttp2Headers(headers: IncomingHttpHeaders): Metadata {
    const m = new Metadata()
    m.raw = headers
    return m
  }

  /** Values for `key` (Buffers for keys ending in -bin). */
  get(key: string): MetadataValue[] {
    const k = key.toLowerCase()
    if (this.map === null) {
      if (this.raw === null || k.startsWith(':') || RESERVED.has(k)) return []
      return valuesOf(k, this.raw[k])
    }
    return this.map.get(k)?.slice() ?? []
  }

  set(key: string, value: MetadataValue): void {
    this.entries().set(validKey(key), [value])
  }

  add(key: string, value: MetadataValue): void {
    const k = validKey(key)
    const m = this.entries()
    const list = m.get(k)
    if (list) list.push(value)
    else m.set(k, [value])
  }

  remove(key: string): void {
    this.entries().delete(key.toLowerCase())
  }

  /** Each key's first value. */
  getMap(): Record<string, MetadataValue> {
    const out: Record<string, MetadataValue> = {}
    for (const [k, v] of this.entries()) if (v.length > 0) out[k] = v[0]
    return out
  }

  clone(): Metadata {
    const m = new Metadata()
    m.map = new Map([...this.entries()].map(([k, v]) => [k, v.slice()]))
    return m
  }

  merge(other: Metadata): void {
    for (const [k, v] of other.entries()) for (const x of v) this.add(k, x)
  }

  toHttp2Headers(): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = {}
    for (const [k, v] of this.entries()) {
      if (v.length === 0) continue
      out[k] = isBinaryKey(k)
        ? v.map((x) => (typeof x === 'string' ? Buffer.from(x) : x).toString('base64'))
        : v.map(String)
    }
    return out
  }

  toJSON(): Record<string, MetadataValue[]> {
    return Object.fromEntries(this.entries())
  }

  private entries(): Map<string, MetadataValue[]> {
    if (this.map !== null) return this.map
    const m = new Map<string, MetadataValue[]>()
    if (this.raw !== null) {
      for (const [k, v] of Object.entries(this.raw)) {
        if (k.startsWith(':') || RESERVED.has(k) || v === undefined) continue
        m.set(k, valuesOf(k, v))
      }
      this.raw = null
    }
    this.map = m
    return m
  }
}
