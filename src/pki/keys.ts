import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import { PkiError } from './errors.js'
import { CURVE_BY_SIZE, signatureHash, type KeySpec } from './key-spec.js'
import { cryptoProvider } from './webcrypto.js'

const generateKeyPairAsync = promisify(generateKeyPair)

/** A private key in the three forms the rest of the package needs. */
export interface KeyMaterial {
  spec: KeySpec
  /** PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY") PEM, as cfssl writes keys. */
  privateKeyPem: string
  /** The same key for WebCrypto signing, set up with the hash this key signs with. */
  keys: CryptoKeyPair
}

/** Makes a new key pair (RSA with exponent 65537, or ECDSA on a NIST curve). */
export async function generateKey(spec: KeySpec): Promise<KeyMaterial> {
  const { privateKey } =
    spec.algo === 'rsa'
      ? await generateKeyPairAsync('rsa', { modulusLength: spec.size, publicExponent: 0x10001 })
      : await generateKeyPairAsync('ec', { namedCurve: CURVE_BY_SIZE[spec.size] })
  return fromKeyObject(privateKey, spec)
}

/** Reads a PEM private key (PKCS#1, SEC1 or PKCS#8). `source` names the file in errors. */
export async function loadPrivateKey(pem: string, source: string): Promise<KeyMaterial> {
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem' })
  } catch (err) {
    throw new PkiError(`${source}: not a readable PEM private key (${(err as Error).message})`)
  }
  return fromKeyObject(key, specOf(key, source))
}

/** The public key's DER SubjectPublicKeyInfo, to compare a key with a certificate. */
export function publicKeyDer(material: KeyMaterial): Buffer {
  return createPublicKey(material.privateKeyPem).export({ type: 'spki', format: 'der' })
}

function specOf(key: KeyObject, source: string): KeySpec {
  const details = key.asymmetricKeyDetails ?? {}
  if (key.asymmetricKeyType === 'rsa') return { algo: 'rsa', size: details.modulusLength ?? 0 }
  if (key.asymmetricKeyType === 'ec') {
    const entry = Object.entries(CURVE_BY_SIZE).find(([, curve]) => curve === normaliseCurve(details.namedCurve))
    if (entry) return { algo: 'ecdsa', size: Number(entry[0]) }
    throw new PkiError(`${source}: unsupported elliptic curve ${details.namedCurve ?? '(unknown)'}`)
  }
  throw new PkiError(`${source}: unsupported key type ${key.asymmetricKeyType ?? '(unknown)'}: use an RSA or ECDSA key`)
}

function normaliseCurve(name: string | undefined): string | undefined {
  const aliases: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }
  return name === undefined ? undefined : (aliases[name] ?? name)
}

async function fromKeyObject(privateKey: KeyObject, spec: KeySpec): Promise<KeyMaterial> {
  const privateKeyPem = privateKey.export({ type: spec.algo === 'rsa' ? 'pkcs1' : 'sec1', format: 'pem' }).toString()
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' })
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' })
  const algorithm =
    spec.algo === 'rsa'
      ? { name: 'RSASSA-PKCS1-v1_5', hash: signatureHash(spec) }
      : { name: 'ECDSA', namedCurve: CURVE_BY_SIZE[spec.size] }
  const subtle = cryptoProvider.subtle
  const keys: CryptoKeyPair = {
    privateKey: await subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']),
    publicKey: await subtle.importKey('spki', spki, algorithm, true, ['verify']),
  }
  return { spec, privateKeyPem, keys }
}
