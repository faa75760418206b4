/**
 * Why a TLS connection failed, in the words etcd's users know from Go (crypto/x509,
 * crypto/tls: `x509: certificate signed by unknown authority`, `remote error: tls: bad
 * certificate` …), followed by what it means here.
 */
import { X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls'
import type { TlsFailure } from './tls-credentials.js'
import type { ClientTlsMaterial } from './tls-material.js'

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
const ANY_EKU = '2.5.29.37.0'
const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'server auth',
  [CLIENT_AUTH]: 'client auth',
  '1.3.6.1.5.5.7.3.3': 'code signing',
  '1.3.6.1.5.5.7.3.4': 'email protection',
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
])

/** Go's names for TLS alerts (crypto/tls alert.go), by the words in OpenSSL's error code. */
const ALERTS: Record<string, string> = {
  BAD_CERTIFICATE: 'bad certificate',
  UNSUPPORTED_CERTIFICATE: 'unsupported certificate',
  CERTIFICATE_REVOKED: 'revoked certificate',
  CERTIFICATE_EXPIRED: 'expired certificate',
  CERTIFICATE_UNKNOWN: 'unknown certificate',
  UNKNOWN_CA: 'unknown certificate authority',
  HANDSHAKE_FAILURE: 'handshake failure',
  CERTIFICATE_REQUIRED: 'certificate required',
  PROTOCOL_VERSION: 'protocol version not supported',
  INSUFFICIENT_SECURITY: 'insufficient security level',
  ACCESS_DENIED: 'access denied',
  DECRYPT_ERROR: 'error decrypting message',
  INTERNAL_ERROR: 'internal error',
  NO_APPLICATION_PROTOCOL: 'no application protocol',
}

/** Alerts a server sends when it does not accept the client's certificate (or its absence). */
const CLIENT_CERT_ALERTS = new Set([
  'bad certificate',
  'unsupported certificate',
  'revoked certificate',
  'expired certificate',
  'unknown certificate',
  'unknown certificate authority',
  'certificate required',
  'handshake failure',
  'access denied',
])

/** Go's time format in x509 errors: RFC 3339 in UTC, whole seconds. */
export function goTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** `CN=etcd-ca,O=etcd` from Node's parsed name (or its `C=..\nCN=..` text). */
export function nameText(name: PeerCertificate['subject'] | string | undefined): string {
  if (name === undefined) return ''
  if (typeof name === 'string') return name.split('\n').join(',')
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(',')
}

/** `remote error: tls: bad certificate` for an OpenSSL alert code, else undefined. */
export function remoteAlert(code: string): string | undefined {
  const m =
    /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)$/.exec(code) ?? /^ERR_SSL_TLSV1_(UNRECOGNIZED_NAME)$/.exec(code)
  if (!m) return undefined
  const words = ALERTS[m[1]] ?? m[1].toLowerCase().replace(/_/g, ' ')
  return `remote error: tls: ${words}`
}

export function expiryError(now: Date, validFrom: Date, validTo: Date): string {
  const when = now < validFrom ? `is before ${goTime(validFrom)}` : `is after ${goTime(validTo)}`
  return `x509: certificate has expired or is not yet valid: current time ${goTime(now)} ${when}`
}

/** Go's HostnameError text: which names or IPs the certificate is valid for. */
export function hostnameError(host: string, cert: PeerCertificate): string {
  const sans = (cert.subjectaltname ?? '').split(', ').filter(Boolean)
  const ips = sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice('IP Address:'.length))
  const dns = sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice('DNS:'.length))
  if (sans.length === 0 && cert.subject?.CN === host)
    return 'x509: certificate relies on legacy Common Name field, use SANs instead'
  const wantIp = isIP(host) !== 0
  if (wantIp && ips.length === 0)
    return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`
  const valid = (wantIp ? ips : dns).join(', ')
  if (valid === '') return `x509: certificate is not valid for any names, but wanted to match ${host}`
  return `x509: certificate is valid for ${valid}, not ${host}`
}

/** The certificate in the server's chain that is out of its validity period. */
function outOfDate(cert: DetailedPeerCertificate | undefined, now: Date): DetailedPeerCertificate | undefined {
  const seen = new Set<DetailedPeerCertificate>()
  for (let c = cert; c && !seen.has(c); c = c.issuerCertificate) {
    seen.add(c)
    if (now > new Date(c.valid_to) || now < new Date(c.valid_from)) return c
  }
  return undefined
}

/** We refused the server's certificate. */
function serverCertificateReason(f: TlsFailure, m: ClientTlsMaterial): string {
  const cert = f.serverCert
  const subject = cert ? `"${nameText(cert.subject)}"` : ''
  if (UNKNOWN_AUTHORITY.has(f.code)) {
    const base = 'x509: certificate signed by unknown authority'
    if (!cert) return base
    if (f.code === 'DEPTH_ZERO_SELF_SIGNED_CERT')
      return `${base} (the server's certificate ${subject} is self-signed: pass it with --cacert, or use --insecure-skip-tls-verify for tests)`
    const where = m.files.caFile
      ? `which --cacert ${m.files.caFile} does not contain`
      : "which is not among the system's trusted CAs: pass that CA with --cacert"
    return `${base} (the server's certificate ${subject} is issued by "${nameText(cert.issuer)}", ${where})`
  }
  if (f.code === 'CERT_HAS_EXPIRED' || f.code === 'CERT_NOT_YET_VALID') {
    const bad = outOfDate(cert, f.at)
    if (!bad) return 'x509: certificate has expired or is not yet valid'
    return `${expiryError(f.at, new Date(bad.valid_from), new Date(bad.valid_to))} (the server's certificate "${nameText(bad.subject)}")`
  }
  if (f.code === 'ERR_TLS_CERT_ALTNAME_INVALID' && cert) {
    return `${hostnameError(f.host, cert)} (connect to a name or address in the server's certificate, or reissue it with ${f.host} among its hosts)`
  }
  if (f.code === 'INVALID_PURPOSE')
    return `x509: certificate specifies an incompatible key usage (the server's certificate ${subject} is not for server auth)`
  if (f.code === 'CERT_REVOKED') return `x509: certificate revoked (the server's certificate ${subject})`
  return `tls: failed to verify certificate: ${f.message}`
}

/** What is wrong with our own client certificate, as far as we can tell from here. */
export function diagnoseClientCert(m: ClientTlsMaterial, now: Date): string | undefined {
  const cert = m.clientCert
  if (!cert) return undefined
  const from = new Date(cert.validFrom)
  const to = new Date(cert.validTo)
  if (now < from || now > to) return expiryError(now, from, to)
  const eku = cert.keyUsage as string[] | undefined
  if (eku && eku.length > 0 && !eku.includes(CLIENT_AUTH) && !eku.includes(ANY_EKU)) {
    return `x509: certificate specifies an incompatible key usage (its extended key usage is ${eku.map((o) => EKU_NAMES[o] ?? o).join(', ')}, not client auth)`
  }
  if (m.caCerts.length > 0 && !m.caCerts.some((ca) => issuedBy(cert, ca))) {
    const issuer = nameText(cert.issuer)
    const namesake = m.caCerts.some((ca) => nameText(ca.subject) === issuer) ? ' (another CA of the same name)' : ''
    return `x509: certificate signed by unknown authority (it is issued by "${issuer}"${namesake}, not by the CA in --cacert ${m.files.caFile}; the server checks client certificates against its --trusted-ca-file)`
  }
  return undefined
}

function issuedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  try {
    return cert.checkIssued(ca) && cert.verify(ca.publicKey)
  } catch {
    return false
  }
}

/** The server refused us, broke off, or is not a TLS server. */
function handshakeReason(f: TlsFailure, m: ClientTlsMaterial): string {
  const alert = remoteAlert(f.code)
  if (
    f.code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    f.code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' ||
    (!f.serverSpokeTls && !alert)
  ) {
    return 'tls: first record does not look like a TLS handshake (the server does not answer in TLS: use an http:// endpoint, or leave out --cacert, --cert and --key)'
  }
  const words = alert?.slice('remote error: tls: '.length)
  const refusedUs = alert === undefined || CLIENT_CERT_ALERTS.has(words!)
  if (!refusedUs) return alert!
  if (!m.clientCert) {
    return `${alert ?? 'the server closed the connection during the TLS handshake'} (the server requires a client certificate: pass --cert and --key)`
  }
  const diagnosis =
    words === 'unknown certificate authority'
      ? 'x509: certificate signed by unknown authority'
      : diagnoseClientCert(m, f.at)
  const head = `tls: the server refused client certificate ${m.files.certFile} (${alert ?? 'it closed the connection during the TLS handshake'})`
  return diagnosis ? `${head}: ${diagnosis}` : head
}

/** One line saying why the TLS connection failed and what to do about it. */
export function explainTlsFailure(f: TlsFailure, m: ClientTlsMaterial): string {
  return f.stage === 'server-certificate' ? serverCertificateReason(f, m) : handshakeReason(f, m)
}
