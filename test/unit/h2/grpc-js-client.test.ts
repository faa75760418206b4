import assert from 'node:assert/strict'
import * as grpc from '@grpc/grpc-js'
import {
  KVService,
  MaintenanceService,
  WatchService,
  type PutResponse,
  type RangeResponse,
  type SnapshotResponse,
  type WatchResponse,
} from '../../../src/gen/etcdserverpb.js'
import { Status } from '../../../src/server/api/h2/index.js'
import {
  call,
  failure,
  grpcJsClient,
  HEADER,
  ProbeService,
  sleep,
  snapshotBlob,
  startTestServer,
  type TestServer,
} from '../../helpers/h2-harness.js'

describe('h2 GrpcServer with the grpc-js client', function () {
  let t: TestServer
  const clients: grpc.Client[] = []
  const client = (table: object, name: string, options: grpc.ClientOptions = {}) => {
    const c = grpcJsClient(table, name, t.port, undefined, options)
    clients.push(c)
    return c
  }

  before(async () => {
    t = await startTestServer()
  })
  after(async () => {
    for (const c of clients) c.close()
    await t.close()
  })

  it('unary: KV Put then Range, with etcd response headers', async () => {
    const kv = client(KVService, 'KV')
    const put = await call<PutResponse>(kv, 'Put', { key: Buffer.from('greeting'), value: Buffer.from('hello') })
    assert.equal(put.header?.cluster_id, HEADER.cluster_id)
    assert.equal(put.header?.member_id, HEADER.member_id)
    const got = await call<RangeResponse>(kv, 'Range', { key: Buffer.from('greeting') })
    assert.equal(got.count, 1)
    assert.equal(got.kvs[0].value.toString(), 'hello')
    assert.equal(got.header?.revision, put.header?.revision)
    assert.equal(t.store.get('greeting')?.toString(), 'hello')
  })

  it('unary errors: code, non-ASCII details and trailing metadata reach the client', async () => {
    const probe = client(ProbeService, 'Probe')
    const details = 'pas trouvé: 100% ✓ — line\nbreak'
    const err = await failure(call(probe, 'Unary', { key: Buffer.from(`fail:9:${details}`) }))
    assert.equal(err.code, 9)
    assert.equal(err.details, details)
    assert.deepEqual(err.metadata.get('x-why'), ['because'])

    const kv = client(KVService, 'KV')
    const denied = await failure(call(kv, 'Put', { key: Buffer.from('forbidden/x'), value: Buffer.from('v') }))
    assert.equal(denied.code, Status.PERMISSION_DENIED)
    assert.equal(denied.details, 'etcdserver: permission denied — clé refusée à 100%')
  })

  it('an Error without a code is UNKNOWN with its message; a handler that throws is UNKNOWN', async () => {
    const probe = client(ProbeService, 'Probe')
    const plain = await failure(call(probe, 'Unary', { key: Buffer.from('error:disk on fire') }))
    assert.equal(plain.code, Status.UNKNOWN)
    assert.equal(plain.details, 'disk on fire')
    const thrown = await failure(call(probe, 'Unary', { key: Buffer.from('throw') }))
    assert.equal(thrown.code, Status.UNKNOWN)
    assert.match(thrown.details, /handler blew up/)
  })

  it('request metadata reaches handlers (text and -bin); transport headers do not; peer is the client', async () => {
    const probe = client(ProbeService, 'Probe')
    const md = new grpc.Metadata()
    md.set('x-test', 'value-1')
    md.set('x-bin-bin', Buffer.from([0, 1, 254, 255]))
    await call(probe, 'Unary', { key: Buffer.from('echo') }, { metadata: md, deadline: Date.now() + 10_000 })
    const seen = t.log.metadata.at(-1)!
    assert.deepEqual(seen['x-test'], ['value-1'])
    assert.deepEqual(seen['x-bin-bin'], [Buffer.from([0, 1, 254, 255])])
    assert.deepEqual(seen['grpc-timeout'], [])
    assert.match(t.log.peers.at(-1)!, /^127\.0\.0\.1:\d+$/)
  })

  it('response metadata: early headers from sendMetadata, trailers from the callback', async () => {
    const probe = client(ProbeService, 'Probe')
    const run = (what: string) =>
      new Promise<{ headers: grpc.Metadata; status: grpc.StatusObject; res: RangeResponse }>((resolve, reject) => {
        let headers = new grpc.Metadata()
        let res: RangeResponse
        const c = probe.Unary({ key: Buffer.from(what) }, (err: Error | null, r: RangeResponse) =>
          err ? reject(err) : (res = r),
        )
        c.on('metadata', (m: grpc.Metadata) => (headers = m))
        c.on('status', (s: grpc.StatusObject) => setImmediate(() => resolve({ headers, status: s, res })))
      })
    const early = await run('headers')
    assert.deepEqual(early.headers.get('x-early'), ['first'])
    assert.equal(early.res.count, 2)
    const trailed = await run('trailer')
    assert.equal(trailed.status.code, Status.OK)
    assert.deepEqual(trailed.status.metadata.get('x-trailer'), ['yes'])
  })

  it('deadline: the call fails with DEADLINE_EXCEEDED and the handler sees cancelled', async () => {
    const probe = client(ProbeService, 'Probe')
    const deadline = Date.now() + 150
    const started = Date.now()
    const err = await failure(call(probe, 'Unary', { key: Buffer.from('sleep:800') }, { deadline }))
    assert.equal(err.code, Status.DEADLINE_EXCEEDED)
    assert.ok(Date.now() - started < 700, 'the deadline ended the call, not the handler')
    await sleep(100)
    assert.ok(t.log.cancelled.includes('sleep:800'))
    const serverDeadline = t.log.deadlines.at(-1)!
    assert.ok(Math.abs(serverDeadline - deadline) < 100, `server deadline ${serverDeadline} vs client ${deadline}`)
  })

  it('cancellation: a client cancel (RST_STREAM) fires cancelled on the server', async () => {
    const probe = client(ProbeService, 'Probe')
    const done = new Promise<grpc.ServiceError>((resolve) => {
      const c = probe.Unary({ key: Buffer.from('sleep:1000') }, (err: grpc.ServiceError) => resolve(err))
      setTimeout(() => c.cancel(), 100)
    })
    const err = await done
    assert.equal(err.code, Status.CANCELLED)
    for (let i = 0; i < 50 && !t.log.cancelled.includes('sleep:1000'); i++) await sleep(10)
    assert.ok(t.log.cancelled.includes('sleep:1000'))
  })

  it('large messages: 3 MiB each way, across many DATA frames', async () => {
    const probe = client(ProbeService, 'Probe')
    const big = Buffer.alloc(3 * 1024 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = i % 251
    const echoed = await call(probe, 'Unary', { key: Buffer.from('echo'), range_end: big })
    assert.equal(echoed.count, big.length)
    assert.ok(echoed.kvs[0].value.equals(big))
    const answer = await call(probe, 'Unary', { key: Buffer.from(`big:${3 * 1024 * 1024}`) })
    assert.equal(answer.kvs[0].value.length, 3 * 1024 * 1024)
  })

  it('a request over the maximum size fails with RESOURCE_EXHAUSTED in Go’s words', async () => {
    const probe = client(ProbeService, 'Probe')
    const err = await failure(
      call(probe, 'Unary', { key: Buffer.from('echo'), range_end: Buffer.alloc(5 * 1024 * 1024) }),
    )
    assert.equal(err.code, Status.RESOURCE_EXHAUSTED)
    assert.match(err.details, /^grpc: received message larger than max \(\d+ vs\. 4194304\)$/)
    // The connection is still good.
    assert.equal((await call(probe, 'Unary', { key: Buffer.from('echo') })).count, 0)
  })

  it('an unknown method is UNIMPLEMENTED, as grpc-js words it', async () => {
    const nope = client({ Nope: { ...ProbeService.Unary, path: '/tsetcd.test.Probe/Nope' } }, 'Nope')
    const err = await failure(call(nope, 'Nope', { key: Buffer.from('x') }))
    assert.equal(err.code, Status.UNIMPLEMENTED)
    assert.equal(err.details, 'The server does not implement the method /tsetcd.test.Probe/Nope')
  })

  it('concurrency: 6000 calls at once over two connections', async () => {
    const a = client(KVService, 'KV', { 'grpc.use_local_subchannel_pool': 1 })
    const b = client(KVService, 'KV', { 'grpc.use_local_subchannel_pool': 1 })
    const before = t.store.size
    const puts = Array.from({ length: 6000 }, (_, i) =>
      call<PutResponse>(i % 2 ? a : b, 'Put', { key: Buffer.from(`many/${i}`), value: Buffer.from(String(i)) }),
    )
    const results = await Promise.all(puts)
    assert.equal(results.length, 6000)
    assert.equal(t.store.size - before, 6000)
    assert.equal(t.store.get('many/4321')?.toString(), '4321')
    const revisions = new Set(results.map((r) => r.header?.revision))
    assert.ok(revisions.size > 1)
  })

  it('bidi: echoes in order; the client half-closing ends the stream with OK', async () => {
    const probe = client(ProbeService, 'Probe')
    const stream = probe.Echo()
    const got: number[] = []
    stream.on('data', (r: RangeResponse) => got.push(r.count))
    const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve))
    stream.on('error', () => {})
    for (let i = 0; i < 200; i++) stream.write({ key: Buffer.from(`m${i}`) })
    stream.end()
    assert.equal((await status).code, Status.OK)
    assert.deepEqual(
      got,
      Array.from({ length: 200 }, (_, i) => i + 1),
    )
    await sleep(20)
    assert.deepEqual(t.log.echo.events, [...Array(200).fill('data'), 'end', 'close'])
  })

  for (const how of ['fail', 'destroy'] as const) {
    it(`bidi: ${how === 'fail' ? "emit('error')" : 'destroy(err)'} ends the stream with that status`, async () => {
      const probe = client(ProbeService, 'Probe')
      const stream = probe.Echo()
      const got: number[] = []
      stream.on('data', (r: RangeResponse) => got.push(r.count))
      const err = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve))
      stream.write({ key: Buffer.from('one') })
      stream.write({ key: Buffer.from(`${how}:${Status.FAILED_PRECONDITION}:stopped ü`) })
      const e = await err
      assert.equal(e.code, Status.FAILED_PRECONDITION)
      assert.equal(e.details, 'stopped ü')
      assert.deepEqual(got, [1])
      await sleep(20)
      assert.deepEqual(t.log.echo.events, ['data', 'data', 'close'])
    })
  }

  it('back-pressure: write() returns false while the client does not read, and drain follows when it does', async () => {
    const probe = client(ProbeService, 'Probe')
    const total = 400 // 16 KiB each: far more than the client's windows and buffers hold
    const stream = probe.Flood()
    let received = 0
    const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve))
    stream.on('error', () => {})
    stream.on('data', () => received++)
    stream.pause()
    stream.write({ key: Buffer.from(String(total)) })
    await sleep(300)
    const stalledAt = t.log.flood.written
    await sleep(200)
    assert.equal(t.log.flood.written, stalledAt, 'the server stopped writing')
    assert.ok(stalledAt < total, `stalled at ${stalledAt} of ${total}`)
    assert.equal(t.log.flood.waiting, true, "write() returned false and no 'drain' came")
    const drainsWhilePaused = t.log.flood.drains
    stream.resume()
    stream.end()
    assert.equal((await status).code, Status.OK)
    assert.equal(received, total)
    assert.ok(t.log.flood.drains > drainsWhilePaused, "'drain' came once the client read")
    assert.equal(t.log.flood.waiting, false)
  })

  it('server streaming: 1000 messages, and a 1 MiB Snapshot in chunks', async () => {
    const probe = client(ProbeService, 'Probe')
    const counts: number[] = []
    await new Promise<void>((resolve, reject) => {
      const s = probe.Count({ key: Buffer.from('1000') })
      s.on('data', (r: RangeResponse) => counts.push(r.count))
      s.on('error', reject)
      s.on('end', resolve)
    })
    assert.deepEqual(
      counts,
      Array.from({ length: 1000 }, (_, i) => i + 1),
    )

    const maint = client({ Snapshot: MaintenanceService.Snapshot }, 'Maintenance')
    const parts: Buffer[] = []
    let remaining = -1n
    await new Promise<void>((resolve, reject) => {
      const s = maint.Snapshot({})
      s.on('data', (r: SnapshotResponse) => {
        parts.push(r.blob)
        remaining = r.remaining_bytes
      })
      s.on('error', reject)
      s.on('end', resolve)
    })
    assert.ok(parts.length > 10)
    assert.equal(remaining, 0n)
    assert.ok(Buffer.concat(parts).equals(snapshotBlob()))
  })

  it('client streaming: the handler sees every message, then end', async () => {
    const probe = client(ProbeService, 'Probe')
    const res = await new Promise<RangeResponse>((resolve, reject) => {
      const s = probe.Sum((err: Error | null, r: RangeResponse) => (err ? reject(err) : resolve(r)))
      for (let i = 1; i <= 100; i++) s.write({ limit: i })
      s.end()
    })
    assert.equal(res.count, 5050)
  })

  it('Watch-like bidi on the real Watch path: created, then an event per create', async () => {
    const w = client(WatchService, 'Watch')
    const stream = w.Watch()
    const got: WatchResponse[] = []
    const two = new Promise<void>((resolve) =>
      stream.on('data', (r: WatchResponse) => {
        got.push(r)
        if (got.length === 2) resolve()
      }),
    )
    stream.on('error', () => {})
    stream.write({ create_request: { key: Buffer.from('wk') } })
    await two
    assert.equal(got[0].created, true)
    assert.equal(got[1].events[0].kv?.value.toString(), 'echo:wk')
    stream.cancel()
  })
})
