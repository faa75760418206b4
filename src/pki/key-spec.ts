import { PkiError } from './errors.js'

export type KeyAlgo = 'rsa' | 'ecdsa'

/** What cfssl's CSR JSON calls `key`: `{"algo": "rsa", "size": 2048}`. */
export interface KeySpec {
  algo: KeyAlgo
  size: number
}

export const RSA_SIZES: readonly number[] = [2048, 3072, 4096]
export const ECDSA_SIZES: readonly number[] = [256, 384, 521]

/** cfssl's default when a request names no key. */
export const DEFAULT_KEY: KeySpec = { algo: 'ecdsa', size: 256 }

export const CURVE_BY_SIZE: Readonly<Record<number, string>> = { 256: 'P-256', 384: 'P-384', 521: 'P-521' }

/** Checks an algorithm/size pair and returns it typed; the error names what is unsupported. */
export function checkKeySpec(algo: unknown, size: unknown): KeySpec {
  if (algo !== 'rsa' && algo !== 'ecdsa') {
    throw new PkiError(`unsupported key algorithm ${JSON.stringify(algo)}: use "rsa" or "ecdsa"`)
  }
  const allowed = algo === 'rsa' ? RSA_SIZES : ECDSA_SIZES
  if (typeof size !== 'number' || !allowed.includes(size)) {
    throw new PkiError(`unsupported ${algo} key size ${JSON.stringify(size)}: use one of ${allowed.join(', ')}`)
  }
  return { algo, size }
}

/** The default size for an algorithm when only the algorithm is given. */
export function defaultSize(algo: KeyAlgo): number {
  return algo === 'rsa' ? 2048 : 256
}

/**
 * The hash a key signs with, chosen from its strength the way cfssl does:
 * RSA 4096 → SHA-512, 3072 → SHA-384, else SHA-256; ECDSA P-384 → SHA-384, P-521 → SHA-512.
 */
export function signatureHash(spec: KeySpec): 'SHA-256' | 'SHA-384' | 'SHA-512' {
  if (spec.algo === 'rsa') {
    if (spec.size >= 4096) return 'SHA-512'
    if (spec.size >= 3072) return 'SHA-384'
    return 'SHA-256'
  }
  if (spec.size >= 521) return 'SHA-512'
  if (spec.size >= 384) return 'SHA-384'
  return 'SHA-256'
}

export function describeKeySpec(spec: KeySpec): string {
  return spec.algo === 'rsa' ? `RSA ${spec.size}` : `ECDSA ${CURVE_BY_SIZE[spec.size] ?? spec.size}`
}
