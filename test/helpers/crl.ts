/** Certificate revocation lists for the TLS tests, signed by a CA made with tsetcd's PKI. */
import fs from 'node:fs'
import { loadIssuer, type Issuer } from '../../src/pki/issuer.js'
import { cryptoProvider } from '../../src/pki/webcrypto.js'
import { X509Certificate, X509CrlGenerator } from '../../src/pki/x509.js'

function algorithm(issuer: Issuer): Algorithm | EcdsaParams {
  const k = issuer.key.keys.privateKey.algorithm as { name: string; hash?: { name: string } }
  const hash = k.hash?.name ?? 'SHA-256'
  return k.name === 'ECDSA' ? { name: 'ECDSA', hash } : ({ name: k.name, hash } as Algorithm)
}

/** A PEM CRL, signed by `issuer`, revoking the certificates in `revoked` (PEM texts). */
export async function makeCrl(issuer: Issuer, revoked: string[]): Promise<string> {
  const crl = await X509CrlGenerator.create(
    {
      issuer: issuer.cert.subject,
      signingAlgorithm: algorithm(issuer),
      signingKey: issuer.key.keys.privateKey,
      thisUpdate: new Date(Date.now() - 60_000),
      nextUpdate: new Date(Date.now() + 3_600_000),
      entries: revoked.map((pem) => ({
        serialNumber: new X509Certificate(pem).serialNumber,
        revocationDate: new Date(Date.now() - 60_000),
      })),
    },
    cryptoProvider,
  )
  return crl.toString('pem')
}

/** Writes to `out` a CRL of the CA in files `caCert`/`caKey`, revoking the certificate files `revoked`. */
export async function writeCrl(caCert: string, caKey: string, revoked: string[], out: string): Promise<void> {
  const issuer = await loadIssuer(fs.readFileSync(caCert, 'utf8'), caCert, fs.readFileSync(caKey, 'utf8'), caKey)
  fs.writeFileSync(
    out,
    await makeCrl(
      issuer,
      revoked.map((f) => fs.readFileSync(f, 'utf8')),
    ),
  )
}
