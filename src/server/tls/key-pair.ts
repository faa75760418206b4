/**
 * Reading a certificate, its key and a CA bundle from files, checked the way Go's
 * tls.LoadX509KeyPair checks them, with its words in the errors.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import fs from 'node:fs/promises'
import { TlsConfigError } from './errors.js'

export interface TlsFiles {
  certFile: string
  keyFile: string
  /** Verifies client certificates; undefined: the system's CAs. */
  caFile?: string
}

export interface KeyPair {
  cert: Buffer
  key: Buffer
  ca?: Buffer
  /** The first certificate of `cert`, for logs. */
  leaf: X509Certificate
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** `open FILE: no such file or directory`, as Go words a failed open. */
export async function readFileGo(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file)
  } catch (err) {
    throw new TlsConfigError(`open ${file}: ${goErrno(err as NodeJS.ErrnoException)}`)
  }
}

export function goErrno(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no such file or directory'
    case 'EACCES':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory'
    default:
      return err.message
  }
}

/** The certificates of a PEM bundle; `what` names the file in errors. */
export function parseCertificates(pem: Buffer, what: string): X509Certificate[] {
  const blocks = pem.toString('latin1').match(CERT_BLOCK) ?? []
  if (blocks.length === 0)
    throw new TlsConfigError(`${what}: no PEM certificate found (expected "-----BEGIN CERTIFICATE-----")`)
  return blocks.map((b) => {
    try {
      return new X509Certificate(b)
    } catch (err) {
      throw new TlsConfigError(`${what}: malformed certificate (${(err as Error).message})`)
    }
  })
}

export function parsePrivateKey(pem: Buffer, what: string): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem.toString('latin1')))
    throw new TlsConfigError(`${what}: tls: failed to find any PEM data in key input`)
  try {
    return createPrivateKey(pem)
  } catch (err) {
    throw new TlsConfigError(`${what}: malformed private key (${(err as Error).message})`)
  }
}

/** Reads and checks a certificate, its private key and (optionally) a CA bundle. */
export async function loadKeyPair(files: TlsFiles): Promise<KeyPair> {
  const [cert, key, ca] = await Promise.all([
    readFileGo(files.certFile),
    readFileGo(files.keyFile),
    files.caFile ? readFileGo(files.caFile) : Promise.resolve(undefined),
  ])
  const leaf = parseCertificates(cert, files.certFile)[0]
  const privateKey = parsePrivateKey(key, files.keyFile)
  if (!leaf.checkPrivateKey(privateKey))
    throw new TlsConfigError(`${files.keyFile}: tls: private key does not match public key (of ${files.certFile})`)
  if (ca !== undefined) parseCertificates(ca, files.caFile!)
  return { cert, key, ca, leaf }
}
