import { parseCertificates } from './certificate-pem.js'
import { BasicConstraintsExtension, type X509Certificate } from './x509.js'
import { PkiError } from './errors.js'
import { loadPrivateKey, publicKeyDer, type KeyMaterial } from './keys.js'

/** A CA that can sign: its certificate and the matching private key. */
export interface Issuer {
  cert: X509Certificate
  key: KeyMaterial
}

/** Builds an issuer from PEM texts, checking the certificate is a CA and the key belongs to it. */
export async function loadIssuer(
  certPem: string,
  certSource: string,
  keyPem: string,
  keySource: string,
): Promise<Issuer> {
  const cert = parseCertificates(certPem, certSource)[0]
  const constraints = cert.getExtension(BasicConstraintsExtension)
  if (!constraints?.ca) throw new PkiError(`${certSource}: not a CA certificate (basicConstraints CA:TRUE is missing)`)
  const key = await loadPrivateKey(keyPem, keySource)
  if (!publicKeyDer(key).equals(Buffer.from(cert.publicKey.rawData))) {
    throw new PkiError(`${keySource} is not the private key of ${certSource}`)
  }
  return { cert, key }
}
