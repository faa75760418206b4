import { isIP } from 'node:net'
import { SubjectAlternativeNameExtension, type JsonGeneralName } from './x509.js'
import { PkiError } from './errors.js'

/** Sorts each host into an IP, e-mail, URI or DNS subject alternative name. */
export function hostToGeneralName(host: string): JsonGeneralName {
  const value = host.trim()
  if (value === '' || /\s/.test(value))
    throw new PkiError(`invalid host ${JSON.stringify(host)}: hosts must be IPs or DNS names without spaces`)
  const mappedV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(value)
  if (mappedV4) return { type: 'ip', value: mappedV4[1] }
  if (isIP(value) !== 0) return { type: 'ip', value }
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(value)) return { type: 'url', value }
  if (value.includes('@')) return { type: 'email', value }
  return { type: 'dns', value }
}

/** Splits a comma-separated host list, dropping empty items and repeats. */
export function splitHosts(list: string): string[] {
  return uniqueHosts(list.split(','))
}

export function uniqueHosts(hosts: readonly string[]): string[] {
  const out: string[] = []
  for (const raw of hosts) {
    const host = raw.trim()
    if (host !== '' && !out.includes(host)) out.push(host)
  }
  return out
}

/** The subjectAltName extension for a host list, or undefined when there are none. */
export function sanExtension(hosts: readonly string[]): SubjectAlternativeNameExtension | undefined {
  if (hosts.length === 0) return undefined
  return new SubjectAlternativeNameExtension(hosts.map(hostToGeneralName), false)
}
