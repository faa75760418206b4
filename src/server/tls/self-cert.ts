/**
 * --auto-tls / --peer-auto-tls: a self-signed certificate made at start-up, as etcd makes
 * one: ECDSA P-521, subject O=etcd, the listen URLs' hosts as SANs, valid for a year, written
 * as cert.pem and key.pem in <data-dir>/fixtures/{client,peer}. Existing files are reused.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { CsrRequest } from '../../pki/csr-request.js'
import type { CertificatePolicy } from '../../pki/sign-certificate.js'

export interface SelfCertOptions {
  /** Also usable as a client certificate (peers dial each other with it). */
  clientAuth: boolean
  validityYears?: number
  now?: Date
}

export interface SelfCertFiles {
  certFile: string
  keyFile: string
  /** False when the files were already there. */
  created: boolean
}

const YEAR_MS = 365 * 24 * 3600 * 1000

/** The host part of listen URLs (no port, no brackets), without repeats; unix sockets have none. */
export function urlHosts(urls: readonly URL[]): string[] {
  const hosts: string[] = []
  for (const u of urls) {
    if (u.protocol === 'unix:' || u.protocol === 'unixs:') continue
    const h = u.hostname.replace(/^\[|\]$/g, '')
    if (h !== '' && !hosts.includes(h)) hosts.push(h)
  }
  return hosts
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  )
}

export async function selfCert(dir: string, hosts: readonly string[], opts: SelfCertOptions): Promise<SelfCertFiles> {
  const certFile = path.join(dir, 'cert.pem')
  const keyFile = path.join(dir, 'key.pem')
  if ((await exists(certFile)) && (await exists(keyFile))) return { certFile, keyFile, created: false }
  // Loaded only to make a certificate: the certificate library is large.
  const [{ generateKey }, { selfSignCa }, { EXT_KEY_USAGES }, { KeyUsageFlags }] = await Promise.all([
    import('../../pki/keys.js'),
    import('../../pki/sign-certificate.js'),
    import('../../pki/usages.js'),
    import('../../pki/x509.js'),
  ])
  const request: CsrRequest = { cn: '', names: [{ O: 'etcd' }], hosts: [...hosts], key: { algo: 'ecdsa', size: 521 } }
  const key = await generateKey(request.key)
  const policy: CertificatePolicy = {
    keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment,
    extKeyUsages: opts.clientAuth
      ? [EXT_KEY_USAGES['server auth'], EXT_KEY_USAGES['client auth']]
      : [EXT_KEY_USAGES['server auth']],
    isCa: false,
    expiryMs: (opts.validityYears ?? 1) * YEAR_MS,
  }
  const cert = await selfSignCa(request, key, policy, opts.now ?? new Date())
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  await fs.writeFile(keyFile, key.privateKeyPem, { mode: 0o600 })
  await fs.writeFile(certFile, cert.toString('pem'), { mode: 0o644 })
  return { certFile, keyFile, created: true }
}
