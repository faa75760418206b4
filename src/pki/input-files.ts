import { readFile } from 'node:fs/promises'
import { parseCsrRequest, type CsrRequest } from './csr-request.js'
import { PkiError } from './errors.js'
import { loadIssuer, type Issuer } from './issuer.js'
import { parseSigningConfig, type SigningConfig } from './signing-config.js'

/** Reads a text file; the error says which input (`what`) could not be read and why. */
export async function readInputFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message
    throw new PkiError(`cannot read ${what} ${path}: ${reason}`)
  }
}

export async function readCsrRequestFile(path: string): Promise<CsrRequest> {
  return parseCsrRequest(await readInputFile(path, 'CSR JSON'), path)
}

export async function readSigningConfigFile(path: string): Promise<SigningConfig> {
  return parseSigningConfig(await readInputFile(path, 'signing config'), path)
}

/** Loads the CA certificate and key that sign leaf certificates. */
export async function readIssuerFiles(certPath: string, keyPath: string): Promise<Issuer> {
  const certPem = await readInputFile(certPath, 'CA certificate')
  const keyPem = await readInputFile(keyPath, 'CA key')
  return loadIssuer(certPem, certPath, keyPem, keyPath)
}
