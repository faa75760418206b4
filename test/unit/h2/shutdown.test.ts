import assert from 'node:assert/strict'
import fs from 'node:fs'
import http from 'node:http'
import http2 from 'node:http2'
import net from 'node:net'
import path from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { encodeRangeRequest, KVService, type RangeResponse } from '../../../src/gen/etcdserverpb.js'
import { frameMessage } from '../../../src/server/api/h2/framing.js'
import { call, grpcJsClient, ProbeService, sleep, startTestServer, tmpDir } from '../../helpers/h2-harness.js'

/** Handles of the kinds a server could leak, counted. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo())
    if (/TCP|Pipe|TLS|Timeout|Immediate|Http2/.test(r)) counts[r] = (counts[r] ?? 0) + 1
  return counts
}

function unaryStatus(session: http2.ClientHttp2Session, key: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': '/tsetcd.test.Probe/Unary',
      'content-type': 'application/grpc',
    })
    let status: string | undefined
    req.on('response', (h) => (status ??= h['grpc-status'] as string | undefined))
    req.on('trailers', (t) => (status = t['grpc-status'] as string))
    req.on('error', reject)
    req.on('close', () => resolve(status))
    req.resume()
    req.end(frameMessage(encodeRangeRequest({ key: Buffer.from(key) })))
  })
}

describe('h2 GrpcServer shutdown', function () {
  this.timeout(20_000)

  it('tryShutdown: the running call finishes, new connections are refused, no handle is left', async () => {
    await sleep(50)
    const before = handles()
    const t = await startTestServer()
    const session = http2.connect(`http://127.0.0.1:${t.port}`)
    session.on('error', () => {})
    const running = unaryStatus(session, 'sleep:300')
    await sleep(50)
    const started = Date.now()
    const done = t.server.tryShutdown(5000)
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(t.port, '127.0.0.1')
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
      s.on('connect', () => {
        s.destroy()
        resolve('connected')
      })
    })
    assert.equal(refused, 'ECONNREFUSED')
    assert.equal(await running, '0', 'the call in progress completed with OK')
    await done
    assert.ok(Date.now() - started < 2000, 'shutdown did not wait for the grace period')
    await sleep(50)
    assert.equal(session.closed || session.destroyed, true)
    assert.deepEqual(handles(), before)
    await assert.rejects(t.server.listen('http://127.0.0.1:0'), /shut down/)
  })

  it('a stream that never ends is cut at the end of the grace period; its handler sees cancelled', async () => {
    const t = await startTestServer()
    const probe = grpcJsClient(ProbeService, 'Probe', t.port)
    try {
      const stream = probe.Echo()
      const failed = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve))
      const first = new Promise((resolve) => stream.once('data', resolve))
      stream.write({ key: Buffer.from('hello') })
      await first
      const started = Date.now()
      await t.server.tryShutdown(300)
      const took = Date.now() - started
      assert.ok(took >= 280 && took < 1500, `shutdown took ${took} ms`)
      const err = await failed
      assert.notEqual(err.code, grpc.status.OK)
      assert.deepEqual(t.log.echo.events, ['data', 'cancelled', 'close'])
      assert.equal(t.server.connectionCount, 0)
    } finally {
      probe.close()
    }
  })

  it('forceShutdown closes every connection at once, HTTP/1 ones included', async () => {
    const t = await startTestServer()
    const kv = grpcJsClient(KVService, 'KV', t.port)
    const probe = grpcJsClient(ProbeService, 'Probe', t.port)
    const agent = new http.Agent({ keepAlive: true })
    try {
      await call(kv, 'Put', { key: Buffer.from('a'), value: Buffer.from('b') })
      await new Promise((resolve) =>
        http.get(`http://127.0.0.1:${t.port}/x`, { agent }, (res) => res.resume().on('end', resolve)),
      )
      const pending = call(probe, 'Unary', { key: Buffer.from('sleep:5000') })
      await sleep(100)
      t.server.forceShutdown()
      const err = await pending.then(
        () => null,
        (e: grpc.ServiceError) => e,
      )
      assert.ok(err !== null && err.code !== grpc.status.OK)
      await t.server.tryShutdown(100)
      assert.equal(t.server.connectionCount, 0)
    } finally {
      kv.close()
      probe.close()
      agent.destroy()
    }
  })

  it('listens on a unix socket too (gRPC and HTTP/1.1)', async () => {
    const dir = tmpDir('tsetcd-h2-unix-')
    const sock = path.join(dir, 'grpc.sock')
    const t = await startTestServer({ url: `unix://${sock}`, httpHandler: (_req, res) => res.end('over unix') })
    const Ctor = grpc.makeGenericClientConstructor(KVService as unknown as grpc.ServiceDefinition, 'KV')
    const client = new Ctor(`unix:${sock}`, grpc.credentials.createInsecure()) as grpc.Client & Record<string, never>
    try {
      await call(client, 'Put', { key: Buffer.from('u'), value: Buffer.from('x') })
      assert.equal((await call<RangeResponse>(client, 'Range', { key: Buffer.from('u') })).count, 1)
      const body = await new Promise<string>((resolve) =>
        http.get({ socketPath: sock, path: '/' }, (res) => {
          let b = ''
          res.on('data', (d) => (b += d)).on('end', () => resolve(b))
        }),
      )
      assert.equal(body, 'over unix')
    } finally {
      client.close()
      await t.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
