/**
 * A unary call whose endpoint fails moves to the next endpoint: a read always, a write only when
 * the member never processed it. Two scripted HTTP/2 members stand in for a cluster: the first
 * request either of them receives fails the way the test picks (its stream refused, as a member
 * shutting down refuses a request that crosses its GOAWAY, or its connection dropped once the
 * request has arrived, so it may have been applied); every later request is answered with an
 * empty message.
 */
import assert from 'node:assert/strict'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { ClientError, EtcdClient } from '../../../src/client/client.js'
import { KVService } from '../../../src/gen/etcdserverpb.js'

type FirstFailure = 'refuse' | 'drop'

interface Members {
  endpoints: string[]
  /** Which member (0 or 1) received each request, in order. */
  received: number[]
  /** Which member answered each request it answered, in order. */
  answered: number[]
  close(): Promise<void>
}

async function scriptedMembers(first: FirstFailure): Promise<Members> {
  const received: number[] = []
  const answered: number[] = []
  const servers = [0, 1].map((member) => {
    const server = http2.createServer()
    server.on('stream', (stream) => {
      const nth = received.push(member)
      stream.on('error', () => undefined) // its own side reports the reset or the drop
      if (nth === 1 && first === 'refuse') {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM)
        return
      }
      stream.resume()
      stream.on('end', () => {
        if (nth === 1) {
          stream.session?.destroy()
          return
        }
        answered.push(member)
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
        stream.end(Buffer.alloc(5)) // an uncompressed, empty message
      })
    })
    return server
  })
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))))
  return {
    endpoints: servers.map((s) => `127.0.0.1:${(s.address() as AddressInfo).port}`),
    received,
    answered,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    },
  }
}

async function withClient<T>(m: Members, f: (c: EtcdClient) => Promise<T>): Promise<T> {
  const client = await EtcdClient.connect({ endpoints: m.endpoints })
  try {
    return await f(client)
  } finally {
    client.close()
  }
}

const put = (c: EtcdClient) => c.call(KVService.Put, { key: Buffer.from('k'), value: Buffer.from('v') })
const get = (c: EtcdClient) => c.call(KVService.Range, { key: Buffer.from('k') }, 5000, true)

describe('client: a failed call and the next endpoint', () => {
  const open: Members[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((m) => m.close()))
  })
  const members = async (first: FirstFailure) => {
    const m = await scriptedMembers(first)
    open.push(m)
    return m
  }

  it('sends a write whose stream a member refused to the next endpoint, once', async () => {
    const m = await members('refuse')
    await withClient(m, put)
    assert.equal(m.received.length, 2)
    assert.notEqual(m.received[1], m.received[0], 'the write went to the other member')
    assert.deepEqual(m.answered, [m.received[1]])
  })

  it('does not send again a write whose connection dropped after it arrived', async () => {
    const m = await members('drop')
    const err = await withClient(m, put).then(
      () => assert.fail('the write succeeded'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof ClientError, String(err))
    assert.equal(err.code, 14)
    assert.equal(m.received.length, 1, 'the write reached one member only')
    assert.deepEqual(m.answered, [])
  })

  it('sends a read to the next endpoint whatever made it unavailable', async () => {
    for (const first of ['refuse', 'drop'] as const) {
      const m = await members(first)
      await withClient(m, get)
      assert.equal(m.received.length, 2, first)
      assert.notEqual(m.received[1], m.received[0], first)
      assert.deepEqual(m.answered, [m.received[1]], first)
    }
  })
})
