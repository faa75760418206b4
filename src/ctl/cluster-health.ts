/**
 * etcdctl 3.3's `cluster-health` (ctlv2 cluster_health.go): each member's client URLs from
 * the member list are asked for /health in turn until one answers; the verdict is a line per
 * member and one for the cluster. Pure: the probe is handed in.
 */

export interface HealthMember {
  /** The member ID as etcd's v2 API writes it: hex, no leading zeros. */
  id: string
  clientURLs: string[]
}

/** Gets `<url>/health`'s body, or throws an Error whose message is what etcdctl prints. */
export type HealthProbe = (url: string) => Promise<Buffer>

export interface ClusterHealthReport {
  lines: string[]
  healthy: boolean
}

/** etcdctl's ExitClusterNotHealthy and ExitServerError (ctlv2/command/error.go). */
export const CLUSTER_NOT_HEALTHY = 5
export const SERVER_ERROR = 4

export const LIST_FAILED = 'cluster may be unhealthy: failed to list members'

/** Go's fmt %v of a []string. */
const goList = (xs: string[]): string => `[${xs.join(' ')}]`

/**
 * Decodes a /health body as etcdctl does: into struct{ Health string }, else struct{ Health bool }
 * (Go's JSON field match ignores case). Returns the health, or throws in Go's words.
 */
export function decodeHealth(body: Buffer): boolean {
  const text = body.toString('utf8')
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    const c = text.trimStart()[0]
    throw new Error(
      c === undefined ? 'unexpected end of JSON input' : `invalid character '${c}' looking for beginning of value`,
    )
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    const kind = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v
    if (kind === 'null') return false
    throw new Error(`json: cannot unmarshal ${kind} into Go value of type struct { Health bool }`)
  }
  const key = Object.keys(v).find((k) => k.toLowerCase() === 'health')
  const h = key === undefined ? undefined : (v as Record<string, unknown>)[key]
  if (h === undefined || h === null) return false
  if (typeof h === 'string') return h === 'true'
  if (typeof h === 'boolean') return h
  throw new Error(`json: cannot unmarshal ${typeof h} into Go struct field .Health of type bool`)
}

export async function clusterHealth(members: HealthMember[], probe: HealthProbe): Promise<ClusterHealthReport> {
  const lines: string[] = []
  let healthy = 0
  for (const m of members) {
    if (m.clientURLs.length === 0) {
      lines.push(`member ${m.id} is unreachable: no available published client urls`)
      continue
    }
    let checked = false
    for (const url of m.clientURLs) {
      let ok: boolean
      try {
        ok = decodeHealth(await probe(url))
      } catch (err) {
        lines.push(`failed to check the health of member ${m.id} on ${url}: ${(err as Error).message}`)
        continue
      }
      checked = true
      if (ok) {
        lines.push(`member ${m.id} is healthy: got healthy result from ${url}`)
        healthy++
      } else lines.push(`member ${m.id} is unhealthy: got unhealthy result from ${url}`)
      break
    }
    if (!checked) lines.push(`member ${m.id} is unreachable: ${goList(m.clientURLs)} are all unreachable`)
  }
  if (healthy === members.length) lines.push('cluster is healthy')
  else if (healthy === 0) lines.push('cluster is unavailable')
  else lines.push('cluster is degraded')
  return { lines, healthy: healthy === members.length }
}
