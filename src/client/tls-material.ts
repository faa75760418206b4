/**
 * etcdctl's --cacert, --cert and --key, read and checked once when a client is made, with
 * etcdctl's messages for missing or mismatched files.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import fs from 'node:fs'
import tls from 'node:tls'

export interface ClientTlsFiles {
  caFile?: string
  certFile?: string
  keyFile?: string
  insecureSkipVerify?: boolean
}

/** A TLS file that cannot be used; etcdctl exits with status 128 (bad arguments) for these. */
export class TlsFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TlsFileError'
  }
}

export interface ClientTlsMaterial {
  files: ClientTlsFiles
  secureContext: tls.SecureContext
  /** The certificates of --cacert; empty: the system's CAs. */
  caCerts: X509Certificate[]
  /** The certificate of --cert, when given. */
  clientCert?: X509Certificate
  skipVerify: boolean
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

function read(file: string): Buffer {
  try {
    return fs.readFileSync(file)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why =
      e.code === 'ENOENT'
        ? 'no such file or directory'
        : e.code === 'EACCES'
          ? 'permission denied'
          : e.code === 'EISDIR'
            ? 'is a directory'
            : e.message
    throw new TlsFileError(`open ${file}: ${why}`)
  }
}

function certificates(pem: Buffer, file: string): X509Certificate[] {
  const blocks = pem.toString('latin1').match(CERT_BLOCK) ?? []
  if (blocks.length === 0)
    throw new TlsFileError(`${file}: no PEM certificate found (expected "-----BEGIN CERTIFICATE-----")`)
  return blocks.map((b) => {
    try {
      return new X509Certificate(b)
    } catch (err) {
      throw new TlsFileError(`${file}: malformed certificate (${(err as Error).message})`)
    }
  })
}

/** Reads the files (synchronously: this runs once, before any request). */
export function loadClientTls(files: ClientTlsFiles): ClientTlsMaterial {
  const { caFile, certFile, keyFile } = files
  if (!!certFile !== !!keyFile)
    throw new TlsFileError(`KeyFile and CertFile must both be present[key: ${keyFile ?? ''}, cert: ${certFile ?? ''}]`)
  const ca = caFile ? read(caFile) : undefined
  const caCerts = ca && caFile ? certificates(ca, caFile) : []
  let clientCert: X509Certificate | undefined
  let cert: Buffer | undefined
  let key: Buffer | undefined
  if (certFile && keyFile) {
    cert = read(certFile)
    key = read(keyFile)
    clientCert = certificates(cert, certFile)[0]
    let privateKey
    try {
      privateKey = createPrivateKey(key)
    } catch {
      throw new TlsFileError(`${keyFile}: tls: failed to find any PEM data in key input`)
    }
    if (!clientCert.checkPrivateKey(privateKey)) throw new TlsFileError('tls: private key does not match public key')
  }
  let secureContext: tls.SecureContext
  try {
    secureContext = tls.createSecureContext({ ca, cert, key })
  } catch (err) {
    throw new TlsFileError(`tls: ${(err as Error).message}`)
  }
  return { files, secureContext, caCerts, clientCert, skipVerify: !!files.insecureSkipVerify }
}
