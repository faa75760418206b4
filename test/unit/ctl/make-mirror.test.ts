import assert from 'node:assert/strict'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { ClientError, EtcdClient, neverProcessed } from '../../../src/client/client.js'
import { destinationPrefix, MirrorArgsError, renameKey } from '../../../src/ctl/make-mirror.js'
import { KVService } from '../../../src/gen/etcdserverpb.js'

describe('make-mirror key renaming', () => {
  it("replaces the first occurrence of the prefix, as Go's strings.Replace(key, prefix, dest, 1)", () => {
    assert.equal(renameKey(Buffer.from('/a/x/a/'), '/a/', '/b/').toString(), '/b/x/a/')
    assert.equal(renameKey(Buffer.from('/a/x'), '/a/', '').toString(), 'x')
    assert.equal(renameKey(Buffer.from('key'), '', '/copy/').toString(), '/copy/key')
    assert.equal(renameKey(Buffer.from('k$&'), 'k', '$&').toString(), '$&$&')
    assert.deepEqual(renameKey(Buffer.from([0xff, 0x01]), '', 'p'), Buffer.from([0x70, 0xff, 0x01]))
  })

  it('keeps the prefix by default, drops it with --no-dest-prefix, refuses both flags', () => {
    assert.equal(destinationPrefix({ prefix: '/a/', destPrefix: '', noDestPrefix: false }), '/a/')
    assert.equal(destinationPrefix({ prefix: '/a/', destPrefix: '', noDestPrefix: true }), '')
    assert.equal(destinationPrefix({ prefix: '/a/', destPrefix: '/b/', noDestPrefix: false }), '/b/')
    assert.throws(
      () => destinationPrefix({ prefix: '/a/', destPrefix: '/b/', noDestPrefix: true }),
      (e: Error) => e instanceof MirrorArgsError && /cannot be set at the same time/.test(e.message),
    )
  })
})

describe('calls the member never processed (make-mirror sends them again)', () => {
  let server: http2.Http2Server
  let refused = 0
  before(async () => {
    // A member that refuses every stream, as one shutting down refuses those that cross its GOAWAY.
    server = http2.createServer()
    server.on('stream', (stream) => {
      refused++
      stream.on('error', () => undefined) // its own side reports the reset it sent
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  })
  after(async () => new Promise<void>((resolve) => server.close(() => resolve())))

  it('a put whose stream the member refused was never processed', async () => {
    const port = (server.address() as AddressInfo).port
    const client = await EtcdClient.connect({ endpoints: [`127.0.0.1:${port}`] })
    try {
      const err = await client.call(KVService.Put, { key: Buffer.from('k'), value: Buffer.from('v') }).then(
        () => assert.fail('the put was refused'),
        (e: unknown) => e,
      )
      assert.ok(err instanceof ClientError, String(err))
      assert.equal(err.code, 14)
      assert.equal(err.message, 'Stream refused by server')
      assert.ok(refused >= 1)
      assert.equal(neverProcessed(err), true)
    } finally {
      client.close()
    }
  })

  it('a write lost in flight, or failed with another code, may have been processed', () => {
    assert.equal(neverProcessed(new ClientError('Connection dropped', 14)), false)
    assert.equal(neverProcessed(new ClientError('Stream refused by server', 8)), false)
    assert.equal(neverProcessed(new ClientError('No connection established. Last error: x', 14)), true)
  })
})
