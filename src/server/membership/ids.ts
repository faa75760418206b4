/**
 * Member and cluster IDs, derived as etcd derives them, so that a cluster bootstrapped
 * from the same `--initial-cluster` and `--initial-cluster-token` has the same IDs:
 *  - member ID: first 8 bytes (big-endian) of SHA-1 over the member's sorted peer URLs
 *    concatenated, then the cluster token;
 *  - cluster ID: first 8 bytes of SHA-1 over the sorted member IDs, each 8 bytes big-endian.
 */
import { createHash } from 'node:crypto'

export function computeMemberId(peerUrls: string[], clusterToken: string): bigint {
  const sorted = [...peerUrls].sort()
  const h = createHash('sha1')
    .update(sorted.join('') + clusterToken)
    .digest()
  return h.readBigUInt64BE(0)
}

export function computeClusterId(memberIds: bigint[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const b = Buffer.alloc(8 * sorted.length)
  sorted.forEach((id, i) => b.writeBigUInt64BE(id, 8 * i))
  return createHash('sha1').update(b).digest().readBigUInt64BE(0)
}

/** etcd prints IDs as lower-case hex without leading zeros. */
export function idToHex(id: bigint): string {
  return id.toString(16)
}

export interface InitialMember {
  name: string
  peerUrls: string[]
}

/** Parses `--initial-cluster`: `name=url,name=url2,other=url3` (a name may repeat for several URLs). */
export function parseInitialCluster(text: string): InitialMember[] {
  const byName = new Map<string, string[]>()
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new Error(`error verifying flags, --initial-cluster: "${part}" is not a name=url pair`)
    const name = part.slice(0, eq)
    const url = part.slice(eq + 1)
    try {
      new URL(url)
    } catch {
      throw new Error(`error verifying flags, --initial-cluster: invalid URL "${url}" for member ${name}`)
    }
    if (!byName.has(name)) byName.set(name, [])
    byName.get(name)!.push(url.replace(/\/$/, ''))
  }
  return [...byName].map(([name, peerUrls]) => ({ name, peerUrls }))
}
