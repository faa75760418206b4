import type { CsrRequest } from './csr-request.js'
import { checkKeySpec, defaultSize } from './key-spec.js'
import type { NameEntry } from './subject.js'
import { uniqueHosts } from './hosts.js'

/** Command-line values that replace (hosts, names, CN, key) what a CSR JSON file says. */
export interface RequestOverrides {
  cn?: string
  hosts?: string[]
  names?: NameEntry[]
  keyAlgo?: string
  keySize?: number
}

export function applyOverrides(base: CsrRequest, overrides: RequestOverrides): CsrRequest {
  const out: CsrRequest = { ...base }
  if (overrides.cn !== undefined) out.cn = overrides.cn
  if (overrides.hosts !== undefined) out.hosts = uniqueHosts(overrides.hosts)
  if (overrides.names !== undefined && overrides.names.length > 0) out.names = overrides.names
  if (overrides.keyAlgo !== undefined || overrides.keySize !== undefined) {
    const algo = overrides.keyAlgo ?? base.key.algo
    const size =
      overrides.keySize ??
      (algo === base.key.algo ? base.key.size : algo === 'rsa' || algo === 'ecdsa' ? defaultSize(algo) : undefined)
    out.key = checkKeySpec(algo, size)
  }
  return out
}
