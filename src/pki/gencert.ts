import { KeyUsageFlags, type X509Certificate } from './x509.js'
import type { CsrRequest } from './csr-request.js'
import { createCsrPem, selfSignCa, signWithIssuer, type CertificatePolicy } from './sign-certificate.js'
import type { Issuer } from './issuer.js'
import { generateKey, type KeyMaterial } from './keys.js'
import { FIVE_YEARS_MS, findProfile, profilePolicy, type SigningConfig } from './signing-config.js'

/** What `cfssl gencert | cfssljson -bare NAME` produces, in memory. */
export interface CertBundle {
  certPem: string
  keyPem: string
  csrPem: string
  cert: X509Certificate
  /** The new private key, ready to sign (a new CA signs with it). */
  key: KeyMaterial
}

export interface GenerateOptions {
  /** Overrides the lifetime from the request or profile. */
  expiryMs?: number
  /** The clock; tests pass a fixed one. */
  now?: Date
}

/** A new self-signed CA (cfssl's `gencert -initca`): keyCertSign + cRLSign, CA:TRUE, 5 years unless told. */
export async function makeCa(request: CsrRequest, options: GenerateOptions = {}): Promise<CertBundle> {
  const key = await generateKey(request.key)
  const policy: CertificatePolicy = {
    keyUsage: KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
    extKeyUsages: [],
    isCa: true,
    maxPathLen: request.ca?.pathLen,
    expiryMs: options.expiryMs ?? request.ca?.expiryMs ?? FIVE_YEARS_MS,
  }
  const cert = await selfSignCa(request, key, policy, options.now ?? new Date())
  return {
    cert,
    key,
    certPem: cert.toString('pem'),
    keyPem: key.privateKeyPem,
    csrPem: await createCsrPem(request, key),
  }
}

/** A new key and certificate for `request`, signed by `issuer` under `profileName` of `config`. */
export async function makeLeaf(
  request: CsrRequest,
  issuer: Issuer,
  config: SigningConfig,
  profileName: string | undefined,
  options: GenerateOptions = {},
): Promise<CertBundle> {
  const profile = findProfile(config, profileName)
  const resolved = profilePolicy(config, profile)
  const policy: CertificatePolicy = {
    keyUsage: resolved.keyUsage,
    extKeyUsages: resolved.extKeyUsages,
    isCa: profile.isCa === true,
    maxPathLen: profile.maxPathLen,
    expiryMs: options.expiryMs ?? resolved.expiryMs,
  }
  const key = await generateKey(request.key)
  const cert = await signWithIssuer(request, key.keys.publicKey, issuer, policy, options.now ?? new Date())
  return {
    cert,
    key,
    certPem: cert.toString('pem'),
    keyPem: key.privateKeyPem,
    csrPem: await createCsrPem(request, key),
  }
}

/** The JSON `cfssl gencert` prints, for piping into `cfssljson -bare NAME`. */
export function cfsslJson(bundle: CertBundle): string {
  return JSON.stringify({ cert: bundle.certPem, csr: bundle.csrPem, key: bundle.keyPem })
}
