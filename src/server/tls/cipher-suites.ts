/**
 * etcd's --cipher-suites takes Go's crypto/tls names; Node's TLS (OpenSSL) takes OpenSSL's.
 * As in Go, the list only restricts TLS 1.2: the TLS 1.3 suites always stay enabled.
 */
import tls from 'node:tls'
import { TlsConfigError } from './errors.js'

/** Go name → OpenSSL name, for the TLS 1.0–1.2 suites Go knows. */
export const TLS12_SUITES: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_RC4_128_SHA: 'RC4-SHA',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: 'ECDHE-ECDSA-RC4-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: 'ECDHE-RSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
}

/** TLS 1.3 suites: the same names in Go and OpenSSL; accepted in the list, always enabled. */
export const TLS13_SUITES: readonly string[] = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
]

/** Node's name for etcd's --tls-min-version / --tls-max-version value ('' : TLS 1.2 as a minimum). */
export function nodeTlsVersion(etcdVersion: string): 'TLSv1.2' | 'TLSv1.3' {
  if (etcdVersion === 'TLS1.2' || etcdVersion === '') return 'TLSv1.2'
  if (etcdVersion === 'TLS1.3') return 'TLSv1.3'
  throw new TlsConfigError(`unknown TLS version "${etcdVersion}" (use TLS1.2 or TLS1.3)`)
}

/**
 * The OpenSSL cipher string for a comma-separated --cipher-suites value, or undefined for
 * an empty one (OpenSSL's defaults). An unknown name stops start-up naming it, as etcd does.
 */
export function opensslCiphers(list: string, minVersion: string): string | undefined {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (names.length === 0) return undefined
  if (minVersion === 'TLS1.3')
    throw new TlsConfigError('cipher suites cannot be configured when only TLS1.3 is enabled')
  const available = new Set(tls.getCiphers().map((c) => c.toUpperCase()))
  const tls12: string[] = []
  for (const name of names) {
    if (TLS13_SUITES.includes(name)) continue
    const openssl = TLS12_SUITES[name]
    if (openssl === undefined) throw new TlsConfigError(`unexpected TLS cipher suite "${name}"`)
    if (!available.has(openssl))
      throw new TlsConfigError(`TLS cipher suite "${name}" (OpenSSL ${openssl}) is not available in this Node.js build`)
    if (!tls12.includes(openssl)) tls12.push(openssl)
  }
  return [...tls12, ...TLS13_SUITES].join(':')
}
