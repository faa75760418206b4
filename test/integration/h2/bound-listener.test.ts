/**
 * A listener bound before its server is ready (a member binds its client port first): clients
 * that connect meanwhile wait and are answered once a server adopts it, over cleartext and
 * TLS; closed without a server, it drops them and frees the port.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import http from 'node:http'
import http2 from 'node:http2'
import https from 'node:https'
import net from 'node:net'
import { BoundListener, GrpcServer, type HttpHandler } from '../../../src/server/api/h2/index.js'
import { soloCert, tmpDir } from '../../helpers/h2-harness.js'
import { waitFor } from '../../helpers/wait.js'

const health: HttpHandler = (_req, res) => {
  res.setHeader('content-type', 'application/json')
  res.end('{"health":"true"}')
}

function get(url: string, opts: https.RequestOptions = {}): Promise<string> {
  const mod = url.startsWith('https:') ? https : http
  return new Promise((resolve, reject) => {
    const req = mod.get(url, opts, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
  })
}

function h2Get(url: string): Promise<string> {
  const session = http2.connect(url)
  return new Promise((resolve, reject) => {
    session.on('error', reject)
    const req = session.request({ ':path': '/health' })
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      session.close()
      resolve(body)
    })
    req.on('error', reject)
  })
}

describe('h2 BoundListener', function () {
  this.timeout(60_000)

  it('answers the clients that connected before a server adopted it (cleartext, HTTP/1.1 and HTTP/2)', async () => {
    const bound = await BoundListener.bind('http://127.0.0.1:0')
    const url = `http://127.0.0.1:${bound.port}`
    const answers = Promise.all([get(`${url}/health`), h2Get(url)])
    await waitFor(() => bound.waiting === 2, 10_000, 'both connections to wait')
    const server = new GrpcServer({ httpHandler: health })
    try {
      server.adopt(bound)
      assert.deepEqual(await answers, ['{"health":"true"}', '{"health":"true"}'])
      // Later connections too.
      assert.equal(await get(`${url}/health`), '{"health":"true"}')
    } finally {
      await server.tryShutdown(1000)
    }
  })

  it('answers a TLS client that connected before, the handshake made once adopted', async () => {
    const dir = tmpDir('tsetcd-bound-')
    try {
      const cert = await soloCert(dir, 'a', 'server-a')
      const bound = await BoundListener.bind('https://127.0.0.1:0')
      const answer = get(`https://127.0.0.1:${bound.port}/health`, { ca: cert.caPem, servername: 'localhost' })
      await waitFor(() => bound.waiting === 1, 10_000, 'the connection to wait')
      const server = new GrpcServer({ httpHandler: health })
      try {
        server.adopt(bound, { tls: { cert: cert.certPem, key: cert.keyPem } })
        assert.equal(await answer, '{"health":"true"}')
      } finally {
        await server.tryShutdown(1000)
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('closed without a server: drops the waiting clients and frees the port', async () => {
    const bound = await BoundListener.bind('http://127.0.0.1:0')
    const port = bound.port
    const answer = get(`http://127.0.0.1:${port}/health`)
    await waitFor(() => bound.waiting === 1, 10_000, 'the connection to wait')
    bound.close()
    await assert.rejects(answer)
    const again = net.createServer()
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject)
      again.listen(port, '127.0.0.1', resolve)
    })
    again.close()
  })
})
