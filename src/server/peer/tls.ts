/**
 * Peer TLS settings, named after etcd's --peer-* flags. Certificates and keys come from files,
 * read once when the transport starts; the same certificate serves as server certificate
 * (listening) and client certificate (dialling peers).
 */
import fs from 'node:fs/promises'
import type { TLSSocket } from 'node:tls'

export interface PeerTlsOptions {
  /** --peer-cert-file */
  certFile: string
  /** --peer-key-file */
  keyFile: string
  /** --peer-trusted-ca-file: verifies peers' certificates; without it, the system CAs. */
  trustedCAFile?: string
  /** --peer-client-cert-auth: the listener requires a client certificate signed by the trusted CA. */
  clientCertAuth?: boolean
  /** --peer-cert-allowed-cn: a client certificate must carry this common name. */
  allowedCN?: string
  /** Dial peers without verifying their certificate (tests, --peer-auto-tls). */
  insecureSkipVerify?: boolean
  /** --tls-min-version / --tls-max-version, in Node's names. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3'
  maxVersion?: 'TLSv1.2' | 'TLSv1.3'
  /** --cipher-suites as an OpenSSL cipher string. */
  ciphers?: string
}

/** The files' contents, loaded. */
export interface TlsMaterial {
  cert: Buffer
  key: Buffer
  ca?: Buffer
  clientCertAuth: boolean
  allowedCN?: string
  insecureSkipVerify: boolean
  versions: { minVersion?: 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1.2' | 'TLSv1.3'; ciphers?: string }
}

export async function loadTls(o: PeerTlsOptions): Promise<TlsMaterial> {
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
  return { cert, key, ca, clientCertAuth: o.clientCertAuth ?? false, allowedCN: o.allowedCN, insecureSkipVerify: o.insecureSkipVerify ?? false, versions }
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
  }
}

/** Why a verified client connection is still refused, if it is. */
export function checkAllowedCN(m: TlsMaterial, socket: TLSSocket): string | undefined {
  if (m.allowedCN === undefined) return undefined
  const cn = socket.getPeerCertificate()?.subject?.CN
  return cn === m.allowedCN ? undefined : `client certificate CN ${JSON.stringify(cn ?? '')} is not the allowed CN ${JSON.stringify(m.allowedCN)}`
}
