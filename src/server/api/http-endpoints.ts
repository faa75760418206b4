/**
 * Plain HTTP on the client port, as etcd serves it next to gRPC:
 *   GET /health   {"health":"true","reason":""} when the member is healthy; 503 and the reason
 *                 otherwise: a raised alarm first ("ALARM NOSPACE", "ALARM CORRUPT"; etcd's
 *                 `?exclude=NOSPACE` ignores that alarm), then "RAFT NO LEADER", "RAFT LOOP FAILED"
 *   GET /livez, /readyz  etcd 3.6's probes (probes.ts), when `probes` is given
 *   GET /version  {"etcdserver":"3.5.0","etcdcluster":"3.5.0"}
 *   GET /metrics  Prometheus text format, when `metrics` is given
 */
import type { HttpHandler } from './h2/index.js'
import { ETCD_VERSION } from '../../version.js'
import { answerProbe, probeChecks, type ProbeChecks } from './probes.js'

/** The metrics page: its content type and text. */
export type MetricsPage = () => Promise<{ contentType: string; body: string }>

/**
 * `unhealthy(excluded)` names why the member cannot serve, or is undefined when it can;
 * `excluded` holds the alarm types the request asks to ignore.
 */
export function httpEndpoints(
  unhealthy: (excludedAlarms: ReadonlySet<string>) => string | undefined,
  metrics?: MetricsPage,
  probes?: ProbeChecks,
): HttpHandler {
  return (req, res): void => {
    const [path, query] = (req.url ?? '/').split('?', 2)
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const probe = probes && probeChecks(path, probes)
    if (probe !== undefined) {
      answerProbe(probe, new URLSearchParams(query ?? ''), res).catch(() => res.destroy())
    } else if (path === '/health') {
      const reason = unhealthy(new Set(new URLSearchParams(query ?? '').getAll('exclude')))
      json(reason === undefined ? 200 : 503, { health: String(reason === undefined), reason: reason ?? '' })
    } else if (path === '/version') {
      json(200, { etcdserver: ETCD_VERSION, etcdcluster: ETCD_VERSION.replace(/\.\d+$/, '.0') })
    } else if (path === '/metrics' && metrics !== undefined) {
      metrics().then(
        (page) => {
          res.writeHead(200, { 'content-type': page.contentType })
          res.end(page.body)
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
          res.end(`${(err as Error)?.message ?? err}\n`)
        },
      )
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('404 page not found\n')
    }
  }
}
