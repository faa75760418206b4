import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  type Extension,
  KeyUsagesExtension,
  type Name,
  Pkcs10CertificateRequestGenerator,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
  type X509Certificate,
  type JsonName,
} from './x509.js'
import type { CsrRequest } from './csr-request.js'
import { sanExtension } from './hosts.js'
import type { Issuer } from './issuer.js'
import { signatureHash } from './key-spec.js'
import type { KeyMaterial } from './keys.js'
import { randomSerialHex } from './serial.js'
import { subjectName } from './subject.js'
import { cryptoProvider } from './webcrypto.js'

/** Certificates start this long before they are made, so clocks a little behind accept them. */
export const BACKDATE_MS = 5 * 60_000

/** What a certificate may do: keyUsage bits, EKU OIDs, CA or not. */
export interface CertificatePolicy {
  keyUsage: number
  extKeyUsages: string[]
  isCa: boolean
  /** CA only: path length limit; undefined for none. */
  maxPathLen?: number
  expiryMs: number
}

/** A PKCS#10 request for `request`'s subject and hosts, signed by `key`. */
export async function createCsrPem(request: CsrRequest, key: KeyMaterial): Promise<string> {
  const extensions: Extension[] = []
  const san = sanExtension(request.hosts)
  if (san) extensions.push(san)
  if (request.ca) extensions.push(new BasicConstraintsExtension(true, request.ca.pathLen, true))
  const csr = await Pkcs10CertificateRequestGenerator.create(
    {
      name: subjectName(request.cn, request.names),
      keys: key.keys,
      signingAlgorithm: signingAlgorithm(key),
      extensions,
    },
    cryptoProvider,
  )
  return csr.toString('pem')
}

/** A self-signed CA certificate for `request`, valid for `expiryMs` from (backdated) `now`. */
export async function selfSignCa(
  request: CsrRequest,
  key: KeyMaterial,
  policy: CertificatePolicy,
  now: Date,
): Promise<X509Certificate> {
  const name = subjectName(request.cn, request.names)
  return sign({
    subject: name,
    issuerName: name,
    subjectKey: key.keys.publicKey,
    signer: key,
    hosts: request.hosts,
    policy,
    now,
    authorityKeyId: undefined,
  })
}

/** A certificate for `request`'s subject and hosts and `publicKey`, signed by `issuer` under `policy`. */
export async function signWithIssuer(
  request: CsrRequest,
  publicKey: CryptoKey,
  issuer: Issuer,
  policy: CertificatePolicy,
  now: Date,
): Promise<X509Certificate> {
  const caKeyId =
    issuer.cert.getExtension(SubjectKeyIdentifierExtension)?.keyId ??
    (await SubjectKeyIdentifierExtension.create(issuer.cert.publicKey, false, cryptoProvider)).keyId
  return sign({
    subject: subjectName(request.cn, request.names),
    issuerName: issuer.cert.subjectName,
    subjectKey: publicKey,
    signer: issuer.key,
    hosts: request.hosts,
    policy,
    now,
    authorityKeyId: caKeyId,
  })
}

interface SignParams {
  subject: JsonName
  issuerName: JsonName | Name
  subjectKey: CryptoKey
  signer: KeyMaterial
  hosts: readonly string[]
  policy: CertificatePolicy
  now: Date
  authorityKeyId: string | undefined
}

/** Extensions in the order Go's crypto/x509 writes them: KU, EKU, BC, SKI, AKI, SAN. */
async function sign(params: SignParams): Promise<X509Certificate> {
  const { policy } = params
  const extensions: Extension[] = []
  if (policy.keyUsage !== 0) extensions.push(new KeyUsagesExtension(policy.keyUsage, true))
  if (policy.extKeyUsages.length > 0) extensions.push(new ExtendedKeyUsageExtension(policy.extKeyUsages, false))
  extensions.push(new BasicConstraintsExtension(policy.isCa, policy.isCa ? policy.maxPathLen : undefined, true))
  extensions.push(await SubjectKeyIdentifierExtension.create(params.subjectKey, false, cryptoProvider))
  if (params.authorityKeyId !== undefined)
    extensions.push(new AuthorityKeyIdentifierExtension(params.authorityKeyId, false))
  const san = sanExtension(params.hosts)
  if (san) extensions.push(san)

  const notBefore = new Date(Math.floor((params.now.getTime() - BACKDATE_MS) / 1000) * 1000)
  const notAfter = new Date(notBefore.getTime() + policy.expiryMs)
  return X509CertificateGenerator.create(
    {
      serialNumber: randomSerialHex(),
      subject: params.subject,
      issuer: params.issuerName,
      notBefore,
      notAfter,
      publicKey: params.subjectKey,
      signingKey: params.signer.keys.privateKey,
      signingAlgorithm: signingAlgorithm(params.signer),
      extensions,
    },
    cryptoProvider,
  )
}

function signingAlgorithm(key: KeyMaterial): Algorithm | EcdsaParams {
  return key.spec.algo === 'rsa'
    ? ({ name: 'RSASSA-PKCS1-v1_5', hash: signatureHash(key.spec) } as Algorithm)
    : { name: 'ECDSA', hash: signatureHash(key.spec) }
}
