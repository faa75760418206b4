/**
 * Plain HTTP on the client port, as etcd serves it next to gRPC:
 *   GET /health   {"health":"true","reason":""} when the member is healthy; 503 and the reason
 *                 ("RAFT NO LEADER", "RAFT LOOP FAILED") otherwise
 *   GET /version  {"etcdserver":"3.5.0","etcdcluster":"3.5.0"}
 */
import type { HttpHandler } from './h2/index.js'
import { ETCD_VERSION } from '../../version.js'

/** `unhealthy()` names why the member cannot serve, or is undefined when it can. */
export function httpEndpoints(unhealthy: () => string | undefined): HttpHandler {
  return (req, res): void => {
    const path = (req.url ?? '/').split('?')[0]
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (path === '/health' || path === '/livez' || path === '/readyz') {
      const reason = unhealthy()
      json(reason === undefined ? 200 : 503, { health: String(reason === undefined), reason: reason ?? '' })
    } else if (path === '/version') {
      json(200, { etcdserver: ETCD_VERSION, etcdcluster: ETCD_VERSION.replace(/\.\d+$/, '.0') })
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('404 page not found\n')
    }
  }
}
