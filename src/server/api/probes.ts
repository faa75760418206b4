/**
 * etcd 3.6's /livez and /readyz (etcdhttp/health.go): named checks run in order; `?exclude=NAME`
 * skips one, `?verbose` lists each. Success is 200 and `ok` (after the list when verbose); a
 * failure is 503 with every check's line, `[+]name ok` or `[-]name failed: reason`.
 *
 *   /livez   serializable_read (the member answers a local read)
 *   /readyz  data_corruption (no CORRUPT alarm), serializable_read, linearizable_read (the
 *            cluster has a leader this member can confirm reads with)
 */
import type { HttpHandler } from './h2/index.js'

export type Check = () => Promise<void>

export interface ProbeChecks {
  serializableRead: Check
  linearizableRead: Check
  /** Throws when the CORRUPT alarm is raised. */
  dataCorruption: Check
}

export function probeChecks(path: string, c: ProbeChecks): [name: string, check: Check][] | undefined {
  if (path === '/livez') return [['serializable_read', c.serializableRead]]
  if (path === '/readyz')
    return [
      ['data_corruption', c.dataCorruption],
      ['serializable_read', c.serializableRead],
      ['linearizable_read', c.linearizableRead],
    ]
  return undefined
}

export async function answerProbe(
  checks: [name: string, check: Check][],
  query: URLSearchParams,
  res: Parameters<HttpHandler>[1],
): Promise<void> {
  const excluded = new Set(query.getAll('exclude'))
  let out = ''
  let ok = true
  for (const [name, check] of checks) {
    if (excluded.has(name)) continue
    try {
      await check()
      out += `[+]${name} ok\n`
    } catch (err) {
      ok = false
      out += `[-]${name} failed: ${(err as Error)?.message ?? err}\n`
    }
  }
  const headers = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }
  if (!ok) {
    // Go's http.Error: the text and a newline.
    res.writeHead(503, headers)
    res.end(out + '\n')
    return
  }
  res.writeHead(200, headers)
  res.end((query.has('verbose') ? out : '') + 'ok\n')
}
