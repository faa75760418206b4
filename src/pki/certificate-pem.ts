import { PkiError } from './errors.js'
import { X509Certificate } from './x509.js'

/** All certificates in a PEM text (a bundle may hold several); `source` names the file in errors. */
export function parseCertificates(pem: string, source: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  if (blocks.length === 0)
    throw new PkiError(`${source}: no PEM certificate found (expected "-----BEGIN CERTIFICATE-----")`)
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block)
    } catch (err) {
      throw new PkiError(`${source}: certificate ${i + 1} is unreadable (${(err as Error).message})`)
    }
  })
}
