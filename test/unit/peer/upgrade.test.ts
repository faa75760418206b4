/**
 * Message streams as upgraded HTTP/1.1 connections: what leaves within send(), the handshake's
 * refusals on the bare connection, malformed data, and members on either side that predate
 * upgraded streams (HTTP/2 request bodies).
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import http2 from 'node:http2'
import net from 'node:net'
import { encodeBatch, decodeMessage } from '../../../src/server/peer/codec.js'
import { FrameDecoder } from '../../../src/server/peer/frame-decoder.js'
import { PeerListener } from '../../../src/server/peer/listener.js'
import type { Message } from '../../../src/raft/types.js'
import { CLUSTER_ID, heartbeat, sleep, startCluster, startNode, stopAll, waitFor, type Node } from './harness.js'

const handshake = {
  'x-tsetcd-peer-protocol': '1',
  'x-tsetcd-from': '1',
  'x-tsetcd-to': '2',
  'x-tsetcd-cluster-id': CLUSTER_ID.toString(16),
}

/** Asks `url` to upgrade a connection to a message stream with `headers`; resolves with the outcome. */
function upgrade(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; socket?: net.Socket }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url)
    const req = http.request({
      host: u.hostname,
      port: u.port,
      method: 'POST',
      path: '/raft/stream',
      headers: { connection: 'Upgrade', upgrade: 'tsetcd-raft-stream', ...headers },
    })
    req.on('upgrade', (res, socket) => resolve({ status: res.statusCode ?? 0, headers: res.headers, socket }))
    req.on('response', (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, headers: res.headers })
    })
    req.on('error', reject)
    req.end()
  })
}

/**
 * A member as it was before upgraded streams: its HTTP/1.1 API answers an upgrade request with
 * 404 "not found", and it takes messages on an HTTP/2 POST /raft/stream.
 */
class OldMember {
  readonly received: Message[] = []
  upgradesAsked = 0
  private listener: PeerListener | undefined

  async listen(): Promise<string> {
    const ignore = (): void => {}
    this.listener = await PeerListener.listen(
      'http://127.0.0.1:0',
      undefined,
      {
        onRequest: (_req, res) => res.writeHead(404).end('not found\n'),
        onUpgrade: (_req, socket) => {
          this.upgradesAsked++
          socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 10\r\nconnection: close\r\n\r\nnot found\n')
        },
        onStream: (stream, headers) => {
          stream.on('error', ignore)
          if (headers[':path'] !== '/raft/stream') {
            stream.respond({ ':status': 404 })
            stream.end()
            return
          }
          stream.respond({ ':status': 200 })
          const decoder = new FrameDecoder(1 << 20)
          stream.on('data', (c: Buffer) => decoder.push(c, (f) => this.received.push(decodeMessage(f))))
        },
      },
      { debug: ignore, info: ignore, warn: ignore },
    )
    return this.listener.url
  }

  close(): Promise<void> {
    return this.listener?.close() ?? Promise.resolve()
  }
}

describe('peer transport: upgraded message streams', function () {
  this.timeout(20_000)
  let nodes: Node[] = []
  afterEach(async () => {
    await stopAll(nodes)
    nodes = []
  })

  it('a send() writes its messages to the connection before it returns', async () => {
    nodes = await startCluster(2)
    const [a, b] = nodes
    a.transport.send([heartbeat(1n, 2n, 0)])
    await waitFor(() => b.handler.received.length === 1, 5000, 'the stream is up')
    const before = a.transport.peerStatus(2n)!
    a.transport.send(Array.from({ length: 10 }, (_, i) => heartbeat(1n, 2n, i + 1)))
    const after = a.transport.peerStatus(2n)!
    assert.equal(after.writes - before.writes, 1, 'one write within send()')
    // Nothing is left in the stream's buffer: the bytes went to the kernel in this turn (a
    // write to an HTTP/2 stream stays buffered until node's session sends it in a later one).
    assert.equal(after.bufferedBytes, 0)
    await waitFor(() => b.handler.received.length === 11, 5000, '11 messages')
  })

  it('refuses a bad handshake on the bare connection, with the reason and its identity', async () => {
    const b = await startNode(2n)
    nodes = [b]
    b.transport.addPeer(1n, ['http://127.0.0.1:1'])
    const old = await upgrade(b.url, { ...handshake, 'x-tsetcd-peer-protocol': '0' })
    assert.equal(old.status, 400)
    assert.equal(old.headers['x-tsetcd-reject-reason'], 'unsupported peer protocol version "0" (this member speaks 1)')
    const other = await upgrade(b.url, { ...handshake, 'x-tsetcd-cluster-id': '1c2b3a4d5e6f7081' })
    assert.equal(other.status, 412)
    assert.equal(other.headers['x-tsetcd-cluster-id'], CLUSTER_ID.toString(16))
    assert.equal(other.headers['x-tsetcd-member-id'], '2')
    const stranger = await upgrade(b.url, { ...handshake, 'x-tsetcd-from': '9' })
    assert.equal(stranger.status, 403)
    assert.equal(stranger.headers['x-tsetcd-reject-reason'], "unknown member 9: not in this member's peer list")
    assert.equal(b.handler.received.length, 0)
  })

  it('takes messages on an upgraded connection and closes it over malformed data', async () => {
    const b = await startNode(2n)
    nodes = [b]
    b.transport.addPeer(1n, ['http://127.0.0.1:1'])
    const ok = await upgrade(b.url, handshake)
    assert.equal(ok.status, 101)
    assert.equal(ok.headers['x-tsetcd-member-id'], '2')
    const socket = ok.socket!
    socket.on('error', () => {})
    const msgs = [heartbeat(1n, 2n, 1), heartbeat(1n, 2n, 2)]
    const bytes = encodeBatch(msgs)
    // cut anywhere: the receiver gathers what the network splits
    socket.write(bytes.subarray(0, 3))
    await sleep(20)
    socket.write(bytes.subarray(3))
    await waitFor(() => b.handler.received.length === 2, 5000, 'two messages')
    assert.deepEqual(
      b.handler.received.map((m) => m.commit),
      [1, 2],
    )
    const closed = new Promise((r) => socket.on('close', r))
    socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])) // a length far beyond the limit
    await closed
    assert.match(
      String(b.log.find('warn', 'malformed data on peer stream, closing it')[0].fields.error),
      /exceeds the limit/,
    )
    assert.equal(b.handler.received.length, 2)
  })

  it('takes messages that came in the same packet as the upgrade request', async () => {
    const b = await startNode(2n)
    nodes = [b]
    b.transport.addPeer(1n, ['http://127.0.0.1:1'])
    const u = new URL(b.url)
    const socket = net.connect(Number(u.port), u.hostname)
    socket.on('error', () => {})
    try {
      let request = 'POST /raft/stream HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: tsetcd-raft-stream\r\n'
      for (const [k, v] of Object.entries(handshake)) request += `${k}: ${v}\r\n`
      socket.write(
        Buffer.concat([Buffer.from(request + '\r\n'), encodeBatch([heartbeat(1n, 2n, 5), heartbeat(1n, 2n, 6)])]),
      )
      await waitFor(() => b.handler.received.length === 2, 5000, 'both messages')
      assert.deepEqual(
        b.handler.received.map((m) => m.commit),
        [5, 6],
      )
    } finally {
      socket.destroy()
    }
  })

  it('a new member sends to one that predates upgraded streams on an HTTP/2 request', async () => {
    const old = new OldMember()
    const url = await old.listen()
    try {
      const a = await startNode(1n)
      nodes = [a]
      a.transport.addPeer(2n, [url])
      a.transport.send([heartbeat(1n, 2n, 1)])
      await waitFor(() => old.received.length === 1, 5000, 'the first message')
      a.transport.send([heartbeat(1n, 2n, 2), heartbeat(1n, 2n, 3)])
      await waitFor(() => old.received.length === 3, 5000, 'three messages')
      assert.deepEqual(
        old.received.map((m) => m.commit),
        [1, 2, 3],
      )
      assert.equal(old.upgradesAsked, 1)
      assert.equal(a.log.find('info', 'peer became active').length, 1)
      assert.equal(a.log.find('warn', 'peer rejected the stream').length, 0)
    } finally {
      await old.close()
    }
  })

  it('a new member takes the HTTP/2 stream of one that predates upgraded streams', async () => {
    const b = await startNode(2n)
    nodes = [b]
    b.transport.addPeer(1n, ['http://127.0.0.1:1'])
    const session = http2.connect(b.url)
    try {
      const req = session.request(
        { ':method': 'POST', ':path': '/raft/stream', 'content-type': 'application/octet-stream', ...handshake },
        { endStream: false },
      )
      req.on('error', () => {})
      const status = await new Promise((r) => req.on('response', (h) => r(h[':status'])))
      assert.equal(status, 200)
      req.write(encodeBatch([heartbeat(1n, 2n, 7), heartbeat(1n, 2n, 8)]))
      await waitFor(() => b.handler.received.length === 2, 5000, 'two messages')
      assert.deepEqual(
        b.handler.received.map((m) => m.commit),
        [7, 8],
      )
    } finally {
      session.destroy()
    }
  })

  it('a message stream closed under the sender is reopened, and messages flow again', async () => {
    nodes = await startCluster(2)
    const [a, b] = nodes
    a.transport.send([heartbeat(1n, 2n, 1)])
    await waitFor(() => b.handler.received.length === 1, 5000, 'first')
    // the receiver drops the stream (removing and re-adding the peer closes its inbound stream)
    b.transport.removePeer(1n)
    b.transport.addPeer(1n, [a.url])
    await waitFor(() => a.log.find('warn', 'peer became inactive').length === 1, 5000, 'the sender notices')
    assert.match(String(a.log.find('warn', 'peer became inactive')[0].fields.error), /stream closed by peer/)
    await waitFor(() => a.transport.activeSince(2n) !== undefined, 5000, 'reopened')
    a.transport.send([heartbeat(1n, 2n, 2)])
    await waitFor(() => b.handler.received.length === 2, 5000, 'flows again')
    assert.equal(b.handler.received[1].commit, 2)
  })
})
