/**
 * GET <client URL>/health over HTTP(S), as etcdctl 3.3's cluster-health did, with the
 * client's TLS files. Errors read as Go's net/http client writes them
 * (`Get "http://127.0.0.1:2379/health": dial tcp 127.0.0.1:2379: connect: connection refused`).
 */
import http from 'node:http'
import https from 'node:https'
import { loadClientTls, type ClientTlsFiles } from './tls-material.js'

function goNetError(url: URL, err: NodeJS.ErrnoException): string {
  const addr = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`
    case 'ENOTFOUND':
      return `dial tcp: lookup ${url.hostname}: no such host`
    case 'ETIMEDOUT':
      return `dial tcp ${addr}: i/o timeout`
    case 'ECONNRESET':
      return 'EOF'
    default:
      return err.message
  }
}

/** The body of `<clientURL>/health` (whatever the status code), or an Error in Go's words. */
export function getHealth(clientURL: string, tls: ClientTlsFiles, timeoutMs: number): Promise<Buffer> {
  const target = `${clientURL.replace(/\/$/, '')}/health`
  return new Promise((resolve, reject) => {
    let url: URL
    try {
      url = new URL(target)
    } catch {
      reject(new Error(`Get "${target}": unsupported protocol scheme ""`))
      return
    }
    const fail = (err: NodeJS.ErrnoException): void => reject(new Error(`Get "${target}": ${goNetError(url, err)}`))
    let req: http.ClientRequest
    if (url.protocol === 'https:') {
      const m = loadClientTls(tls)
      req = https.get(url, {
        secureContext: m.secureContext,
        rejectUnauthorized: !m.skipVerify,
      } as https.RequestOptions)
    } else if (url.protocol === 'http:') {
      req = http.get(url)
    } else {
      reject(new Error(`Get "${target}": unsupported protocol scheme "${url.protocol.replace(/:$/, '')}"`))
      return
    }
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })))
    req.on('error', fail)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', fail)
      res.on('end', () => resolve(Buffer.concat(chunks)))
    })
  })
}
