/**
 * Checks etcd makes on a peer's certificate once the TLS handshake verified it:
 *  - --client-crl-file / --peer-crl-file: a certificate whose serial number the revocation
 *    list names is refused (etcd compares serials only, re-reading the file for new
 *    connections; here the file is re-read when it changed, at most once a second);
 *  - --client-cert-allowed-hostname, --peer-cert-allowed-cn, --peer-cert-allowed-hostname:
 *    the verified certificate must carry that common name, or be valid for that host name
 *    (its DNS or IP subject alternative names, as Go's VerifyHostname).
 */
import fs from 'node:fs/promises'
import net from 'node:net'
import type { PeerCertificate, TLSSocket } from 'node:tls'
import type { X509Crl } from '../../pki/x509.js'
import type { Logger } from '../log.js'
import { TlsConfigError } from './errors.js'
import { goErrno } from './key-pair.js'

const serialKey = (hex: string): string => hex.toLowerCase().replace(/^0+(?=.)/, '')

/** The serial numbers a CRL file (PEM or DER) revokes. */
export async function readRevokedSerials(file: string): Promise<Set<string>> {
  let raw: Buffer
  try {
    raw = await fs.readFile(file)
  } catch (err) {
    throw new TlsConfigError(`open ${file}: ${goErrno(err as NodeJS.ErrnoException)}`)
  }
  const text = raw.toString('latin1')
  // Loaded when a CRL is configured: the certificate library is large, and most members do without.
  const { X509Crl } = await import('../../pki/x509.js')
  let crl: X509Crl
  try {
    crl = text.includes('-----BEGIN X509 CRL-----') ? new X509Crl(text) : new X509Crl(new Uint8Array(raw))
  } catch (err) {
    throw new TlsConfigError(`${file}: malformed certificate revocation list (${(err as Error).message})`)
  }
  return new Set(crl.entries.map((e) => serialKey(e.serialNumber)))
}

/** A CRL file, read at start-up and again when it changes. */
export class RevocationList {
  private checkedAt = Date.now()
  private stamp = ''
  private reloading = false

  private constructor(
    readonly file: string,
    private revoked: Set<string>,
    private readonly log: Logger,
  ) {}

  /** Reads the file; an unreadable or malformed one stops start-up naming it. */
  static async open(file: string, log: Logger): Promise<RevocationList> {
    const list = new RevocationList(file, await readRevokedSerials(file), log)
    list.stamp = await fileStamp(file)
    return list
  }

  /** Whether `serial` (hex) is revoked; notices a changed file for the connections after. */
  isRevoked(serial: string): boolean {
    if (Date.now() - this.checkedAt >= 1000 && !this.reloading) void this.reload()
    return this.revoked.has(serialKey(serial))
  }

  private async reload(): Promise<void> {
    this.reloading = true
    this.checkedAt = Date.now()
    try {
      const stamp = await fileStamp(this.file)
      if (stamp === this.stamp) return
      this.revoked = await readRevokedSerials(this.file)
      this.stamp = stamp
      this.log.info('reloaded certificate revocation list', { 'crl-file': this.file, revoked: this.revoked.size })
    } catch (err) {
      this.log.warn('certificate revocation list changed but cannot be read; still using the previous one', {
        'crl-file': this.file,
        error: (err as Error).message,
      })
    } finally {
      this.reloading = false
    }
  }
}

async function fileStamp(file: string): Promise<string> {
  try {
    const s = await fs.stat(file)
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`
  } catch {
    return 'missing'
  }
}

export interface PeerCertPolicy {
  crl?: RevocationList
  allowedCN?: string
  allowedHostname?: string
}

/** etcd: "AllowedCN and AllowedHostname are mutually exclusive". */
export function checkAllowedFlags(cn: string, hostname: string, flags: string): void {
  if (cn !== '' && hostname !== '')
    throw new TlsConfigError(
      `${flags}: AllowedCN and AllowedHostname are mutually exclusive (cn=${JSON.stringify(cn)}, hostname=${JSON.stringify(hostname)})`,
    )
}

function canonicalIp(ip: string): string {
  return net.isIPv6(ip) ? new URL(`http://[${ip}]/`).hostname : ip
}

/** Go's x509 VerifyHostname on SANs: IPs against IP SANs, names against DNS SANs (leftmost `*` wildcard). */
export function certMatchesHost(cert: PeerCertificate, host: string): boolean {
  const sans = (cert.subjectaltname ?? '').split(', ').filter(Boolean)
  const bare = host.replace(/^\[|\]$/g, '')
  if (net.isIP(bare)) {
    const want = canonicalIp(bare)
    return sans.some((s) => s.startsWith('IP Address:') && canonicalIp(s.slice('IP Address:'.length)) === want)
  }
  const h = bare.toLowerCase().replace(/\.$/, '')
  return sans.some((s) => {
    if (!s.startsWith('DNS:')) return false
    const pattern = s.slice(4).toLowerCase().replace(/\.$/, '')
    if (pattern === h) return true
    if (!pattern.startsWith('*.')) return false
    const dot = h.indexOf('.')
    return dot > 0 && h.slice(dot) === pattern.slice(1)
  })
}

/** Does the certificate pass the allowed CN / host name rule (true when there is none)? */
export function allowedIdentity(policy: PeerCertPolicy, cert: PeerCertificate): boolean {
  if (policy.allowedCN) return cert.subject?.CN === policy.allowedCN
  if (policy.allowedHostname) return certMatchesHost(cert, policy.allowedHostname)
  return true
}

/** Why a connection that completed its handshake is still refused, or undefined. */
export function checkPeerCertificate(policy: PeerCertPolicy, socket: TLSSocket): string | undefined {
  if (policy.crl) {
    const seen = new Set<string>()
    for (
      let c = socket.getPeerCertificate(true);
      c && c.serialNumber && !seen.has(c.serialNumber);
      c = c.issuerCertificate
    ) {
      seen.add(c.serialNumber)
      if (policy.crl.isRevoked(c.serialNumber))
        return `transport: certificate serial ${serialKey(c.serialNumber)} revoked`
    }
  }
  if (policy.allowedCN || policy.allowedHostname) {
    const cert = socket.getPeerCertificate()
    if (!socket.authorized || !cert?.subject || !allowedIdentity(policy, cert))
      return 'client certificate authentication failed'
  }
  return undefined
}
