import { extKeyUsageWord, keyUsageWords } from './usages.js'
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  type X509Certificate,
} from './x509.js'

const DAY_MS = 86_400_000
export const DEFAULT_WARN_DAYS = 30

/** What `tsetcd cert info` reports about one certificate. */
export interface CertificateInfo {
  subject: string
  issuer: string
  serial: string
  notBefore: string
  notAfter: string
  keyAlgorithm: string
  signatureAlgorithm: string
  isCa: boolean
  pathLen?: number
  keyUsage: string[]
  extKeyUsage: string[]
  sans: string[]
  subjectKeyId?: string
  authorityKeyId?: string
  /** Set when the certificate has expired, expires within the warning window, or is not valid yet. */
  warning?: string
}

export function describeCertificate(
  cert: X509Certificate,
  now: Date = new Date(),
  warnDays = DEFAULT_WARN_DAYS,
): CertificateInfo {
  const constraints = cert.getExtension(BasicConstraintsExtension)
  const info: CertificateInfo = {
    subject: cert.subject,
    issuer: cert.issuer,
    serial: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    keyAlgorithm: keyAlgorithmText(cert.publicKey.algorithm),
    signatureAlgorithm: signatureAlgorithmText(cert.signatureAlgorithm),
    isCa: constraints?.ca === true,
    keyUsage: keyUsageWords(cert.getExtension(KeyUsagesExtension)?.usages ?? 0),
    extKeyUsage: [...(cert.getExtension(ExtendedKeyUsageExtension)?.usages ?? [])].map((u) =>
      extKeyUsageWord(String(u)),
    ),
    sans: (cert.getExtension(SubjectAlternativeNameExtension)?.names.items ?? []).map(
      (n) => `${n.type.toUpperCase()}:${n.value}`,
    ),
    subjectKeyId: cert.getExtension(SubjectKeyIdentifierExtension)?.keyId,
    authorityKeyId: cert.getExtension(AuthorityKeyIdentifierExtension)?.keyId,
  }
  if (constraints?.pathLength !== undefined) info.pathLen = constraints.pathLength
  const warning = validityWarning(cert.notBefore, cert.notAfter, now, warnDays)
  if (warning) info.warning = warning
  return info
}

/** A warning when `now` is outside the validity period or within `warnDays` of its end. */
export function validityWarning(notBefore: Date, notAfter: Date, now: Date, warnDays: number): string | undefined {
  const left = notAfter.getTime() - now.getTime()
  if (left <= 0) {
    return `WARNING: certificate expired on ${notAfter.toISOString()} (${Math.floor(-left / DAY_MS)} days ago)`
  }
  if (left < warnDays * DAY_MS) {
    const days = Math.floor(left / DAY_MS)
    const when = days === 0 ? `in ${Math.floor(left / 3_600_000)} hours` : `in ${days} days`
    return `WARNING: certificate expires ${when}, on ${notAfter.toISOString()} (within ${warnDays} days)`
  }
  if (now.getTime() < notBefore.getTime()) return `WARNING: certificate is not valid until ${notBefore.toISOString()}`
  return undefined
}

/** The report as aligned "Label: value" lines, the warning (if any) last. */
export function formatCertificateInfo(info: CertificateInfo): string {
  const none = '(none)'
  const rows: Array<[string, string]> = [
    ['Subject', info.subject],
    ['Issuer', info.issuer],
    ['Serial', info.serial],
    ['Not before', info.notBefore],
    ['Not after', info.notAfter],
    ['Key algorithm', info.keyAlgorithm],
    ['Signature', info.signatureAlgorithm],
    ['CA', info.isCa ? (info.pathLen === undefined ? 'true' : `true, path length ${info.pathLen}`) : 'false'],
    ['Key usage', info.keyUsage.join(', ') || none],
    ['Ext key usage', info.extKeyUsage.join(', ') || none],
    ['SANs', info.sans.join(', ') || none],
    ['Subject key ID', info.subjectKeyId ?? none],
    ['Authority key ID', info.authorityKeyId ?? none],
  ]
  const width = Math.max(...rows.map(([label]) => label.length)) + 2
  const lines = rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`)
  if (info.warning) lines.push(info.warning)
  return lines.join('\n')
}

function keyAlgorithmText(algorithm: Algorithm): string {
  const alg = algorithm as Algorithm & { modulusLength?: number; namedCurve?: string }
  if (alg.modulusLength !== undefined) return `RSA ${alg.modulusLength}`
  if (alg.namedCurve !== undefined) return `ECDSA ${alg.namedCurve}`
  return alg.name
}

function signatureAlgorithmText(algorithm: Algorithm): string {
  const alg = algorithm as Algorithm & { hash?: { name: string } }
  const hash = alg.hash?.name.replace('-', '') ?? ''
  if (alg.name === 'RSASSA-PKCS1-v1_5') return `${hash}-RSA`
  if (alg.name === 'ECDSA') return `ECDSA-${hash}`
  return hash === '' ? alg.name : `${alg.name} ${hash}`
}
