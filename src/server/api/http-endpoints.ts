/**
 * Plain HTTP on the client port, as etcd serves it next to gRPC:
 *   GET /health   {"health":"true","reason":""} when the member has a leader, 503 otherwise
 *   GET /version  {"etcdserver":"3.5.0","etcdcluster":"3.5.0"}
 */
import type { HttpHandler } from './h2/index.js'
import { ETCD_VERSION } from '../../version.js'

export function httpEndpoints(hasLeader: () => boolean): HttpHandler {
  return (req, res): void => {
    const path = (req.url ?? '/').split('?')[0]
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (path === '/health' || path === '/livez' || path === '/readyz') {
      const ok = hasLeader()
      json(ok ? 200 : 503, { health: String(ok), reason: ok ? '' : 'RAFT NO LEADER' })
    } else if (path === '/version') {
      json(200, { etcdserver: ETCD_VERSION, etcdcluster: ETCD_VERSION.replace(/\.\d+$/, '.0') })
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('404 page not found\n')
    }
  }
}
