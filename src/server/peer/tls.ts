/**
 * Peer TLS settings, named after etcd's --peer-* flags. Certificates and keys come from files,
 * read once when the transport starts; the same certificate serves as server certificate
 * (listening) and client certificate (dialling peers).
 */
import fs from 'node:fs/promises'
import tls, { type PeerCertificate, type TLSSocket } from 'node:tls'
import { allowedIdentity, checkPeerCertificate, RevocationList, type PeerCertPolicy } from '../tls/cert-checks.js'
import { silentLogger, type Logger } from '../log.js'

import type { PeerTlsOptions } from '../tls/peer-options.js'

export type { PeerTlsOptions }

/** The files' contents, loaded. */
export interface TlsMaterial {
  cert: Buffer
  key: Buffer
  ca?: Buffer
  clientCertAuth: boolean
  allowedCN?: string
  checks: PeerCertPolicy
  insecureSkipVerify: boolean
  versions: { minVersion?: 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1.2' | 'TLSv1.3'; ciphers?: string }
}

export async function loadTls(o: PeerTlsOptions, log: Logger = silentLogger): Promise<TlsMaterial> {
  const [cert, key, ca] = await Promise.all([
    fs.readFile(o.certFile),
    fs.readFile(o.keyFile),
    o.trustedCAFile === undefined ? Promise.resolve(undefined) : fs.readFile(o.trustedCAFile),
  ])
  const versions = {
    ...(o.minVersion ? { minVersion: o.minVersion } : {}),
    ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
    ...(o.ciphers ? { ciphers: o.ciphers } : {}),
  }
  const checks: PeerCertPolicy = {}
  if (o.crlFile) checks.crl = await RevocationList.open(o.crlFile, log)
  if (o.allowedCN) checks.allowedCN = o.allowedCN
  if (o.allowedHostname) checks.allowedHostname = o.allowedHostname
  return {
    cert,
    key,
    ca,
    clientCertAuth: o.clientCertAuth ?? false,
    allowedCN: o.allowedCN,
    checks,
    insecureSkipVerify: o.insecureSkipVerify ?? false,
    versions,
  }
}

export function serverTlsOptions(m: TlsMaterial) {
  return {
    ...m.versions,
    cert: m.cert,
    key: m.key,
    ca: m.ca,
    requestCert: m.clientCertAuth,
    rejectUnauthorized: m.clientCertAuth,
  }
}

export function clientTlsOptions(m: TlsMaterial) {
  return {
    ...m.versions,
    cert: m.cert,
    key: m.key,
    ca: m.ca,
    rejectUnauthorized: !m.insecureSkipVerify,
    // etcd checks the allowed CN / host name on the certificates of the peers it dials, too
    ...(m.checks.allowedCN || m.checks.allowedHostname
      ? {
          checkServerIdentity: (host: string, cert: PeerCertificate) =>
            tls.checkServerIdentity(host, cert) ??
            (allowedIdentity(m.checks, cert) ? undefined : new Error('client certificate authentication failed')),
        }
      : {}),
  }
}

/** Why a connection that completed its handshake is still refused (revoked, not the allowed CN or host), if it is. */
export function checkAllowedCN(m: TlsMaterial, socket: TLSSocket): string | undefined {
  return checkPeerCertificate(m.checks, socket)
}
