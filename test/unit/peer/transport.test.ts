import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import http from 'node:http'
import http2 from 'node:http2'
import net from 'node:net'
import { PeerTransport, fetchMembers } from '../../../src/server/peer/index.js'
import { PeerListener } from '../../../src/server/peer/listener.js'
import { refuseUpgrade } from '../../../src/server/peer/upgrade-answer.js'
import { makeMessage, type Entry, type Message, type NodeId } from '../../../src/raft/types.js'
import {
  CLUSTER_ID,
  FAST_BACKOFF,
  heartbeat,
  RecordingHandler,
  RecordingLogger,
  openNetworkHandles,
  sleep,
  startCluster,
  startNode,
  stopAll,
  waitFor,
  type Node,
} from './harness.js'

function bigApp(from: NodeId, to: NodeId, seq: number, entries: number, entryBytes: number): Message {
  const es: Entry[] = []
  for (let i = 0; i < entries; i++) {
    const data = Buffer.alloc(entryBytes, (seq * 31 + i) & 0xff)
    data.writeUInt32BE(seq, 0)
    data.writeUInt32BE(i, 4)
    es.push({ term: 2, index: seq * entries + i + 1, type: 'normal', data })
  }
  return makeMessage({ type: 'MsgApp', from, to, term: 2, index: seq * entries, logTerm: 2, commit: seq, entries: es })
}

function digest(msgs: Message[]): string {
  const h = createHash('sha256')
  for (const m of msgs) {
    h.update(`${m.type}/${m.from}/${m.to}/${m.commit}/${m.index}/`)
    for (const e of m.entries) h.update(e.data)
  }
  return h.digest('hex')
}

describe('peer transport: message streams', function () {
  this.timeout(20_000)
  let nodes: Node[] = []
  afterEach(async () => {
    await stopAll(nodes)
    nodes = []
  })

  it('two members exchange messages in order, both ways, including large MsgApp batches', async () => {
    nodes = await startCluster(2)
    const [a, b] = nodes
    const fromA: Message[] = []
    const fromB: Message[] = []
    for (let round = 0; round < 50; round++) {
      const batchA: Message[] = []
      for (let i = 0; i < 40; i++) batchA.push(heartbeat(1n, 2n, round * 1000 + i))
      if (round % 5 === 0) batchA.push(bigApp(1n, 2n, round, 64, 8192)) // 512 KiB message
      const batchB = [heartbeat(2n, 1n, round), bigApp(2n, 1n, round, 4, 100)]
      a.transport.send(batchA)
      b.transport.send(batchB)
      fromA.push(...batchA)
      fromB.push(...batchB)
      if (round % 10 === 0) await sleep(1)
    }
    // a burst bigger than one write: 6 × 3 MiB in one send()
    const burst = Array.from({ length: 6 }, (_, i) => bigApp(1n, 2n, 100 + i, 384, 8192))
    a.transport.send(burst)
    fromA.push(...burst)
    await waitFor(
      () => b.handler.received.length === fromA.length && a.handler.received.length === fromB.length,
      10_000,
      'all messages delivered',
    )
    assert.equal(digest(b.handler.received), digest(fromA))
    assert.equal(digest(a.handler.received), digest(fromB))
    assert.deepEqual(
      b.handler.received.map((m) => m.commit),
      fromA.map((m) => m.commit),
    )
    assert.deepEqual(a.handler.unreachable, [])
    assert.deepEqual(b.handler.unreachable, [])
  })

  it('encodes the messages of one send() for one peer into a single write', async () => {
    nodes = await startCluster(2)
    const [a, b] = nodes
    const before = a.transport.peerStatus(2n)!.writes
    const batch = Array.from({ length: 300 }, (_, i) => heartbeat(1n, 2n, i))
    a.transport.send(batch)
    await waitFor(() => b.handler.received.length === 300, 5000, '300 messages')
    assert.equal(a.transport.peerStatus(2n)!.writes - before, 1)
    assert.equal(a.transport.peerStatus(2n)!.sentMessages, 300)
  })

  it('a send() hands its messages to the stream before it returns (not in a later microtask)', async () => {
    nodes = await startCluster(2)
    const [a, b] = nodes
    a.transport.send([heartbeat(1n, 2n, 0)])
    await waitFor(() => b.handler.received.length === 1, 5000, 'the stream is up')
    const before = a.transport.peerStatus(2n)!.writes
    a.transport.send(Array.from({ length: 10 }, (_, i) => heartbeat(1n, 2n, i + 1)))
    assert.equal(a.transport.peerStatus(2n)!.writes - before, 1, 'written within send()')
    await waitFor(() => b.handler.received.length === 11, 5000, '11 messages')
    assert.equal(a.transport.peerStatus(2n)!.writes - before, 1, 'and in one write')
  })

  it('three members: every pair streams, each sender’s order is kept', async () => {
    nodes = await startCluster(3)
    const sent = new Map<string, Message[]>()
    for (let round = 0; round < 30; round++) {
      for (const n of nodes) {
        const batch: Message[] = []
        for (const p of nodes) {
          if (p === n) continue
          const m = round % 7 === 0 ? bigApp(n.id, p.id, round, 16, 4096) : heartbeat(n.id, p.id, round)
          batch.push(m)
          const k = `${n.id}->${p.id}`
          sent.set(k, [...(sent.get(k) ?? []), m])
        }
        n.transport.send(batch)
      }
    }
    await waitFor(
      () => nodes.every((n) => n.handler.received.length === 60),
      10_000,
      'each member receives 60 messages',
    )
    for (const n of nodes) {
      for (const p of nodes) {
        if (p === n) continue
        const got = n.handler.received.filter((m) => m.from === p.id)
        assert.equal(digest(got), digest(sent.get(`${p.id}->${n.id}`)!), `${p.id} -> ${n.id}`)
      }
    }
  })

  it('drops and reports messages to a stopped peer, then reconnects when it comes back on the same port', async () => {
    nodes = await startCluster(2)
    const [a, b] = nodes
    const port = new URL(b.url).port
    await b.transport.stop()
    await waitFor(() => a.transport.activeSince(2n) === undefined, 5000, 'A notices B is gone')
    for (let i = 0; i < 5; i++) {
      a.transport.send([heartbeat(1n, 2n, i)])
      await sleep(30)
    }
    await waitFor(() => a.handler.unreachable.includes(2n), 2000, 'unreachable reported')
    assert.ok(a.transport.peerStatus(2n)!.droppedMessages >= 5)
    await sleep(300) // several reconnect attempts fail meanwhile
    const retries = a.log.lines.filter((l) => l.msg === 'cannot reach peer').length
    assert.ok(retries >= 2, `expected several retries, saw ${retries}`)

    const b2 = await startNode(2n, { listenUrls: [`http://127.0.0.1:${port}`] })
    nodes = [a, b2]
    b2.transport.addPeer(1n, [a.url])
    await waitFor(() => a.transport.activeSince(2n) !== undefined, 5000, 'A reconnects to restarted B')
    a.transport.send([heartbeat(1n, 2n, 99), heartbeat(1n, 2n, 100)])
    await waitFor(() => b2.handler.received.length === 2, 2000, 'B receives after reconnect')
    assert.deepEqual(
      b2.handler.received.map((m) => m.commit),
      [99, 100],
    )

    // transitions are logged once each; retries only at debug level
    assert.equal(a.log.find('warn', 'peer became inactive').length, 1)
    assert.ok(a.log.find('warn', 'cannot reach peer').length <= 1)
    assert.equal(a.log.find('info', 'peer became active').length, 2)
  })

  it('notices a silent partition through unanswered keepalive pings', async () => {
    const b = await startNode(2n)
    const a = await startNode(1n, { keepAliveMs: 100 })
    nodes = [a, b]
    // A reaches B through a proxy that can start swallowing traffic without closing anything
    const pairs: net.Socket[][] = []
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(new URL(b.url).port), '127.0.0.1')
      client.pipe(upstream).pipe(client)
      client.on('error', () => upstream.destroy())
      upstream.on('error', () => client.destroy())
      pairs.push([client, upstream])
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    try {
      b.transport.addPeer(1n, [a.url])
      a.transport.addPeer(2n, [`http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`])
      await waitFor(() => a.transport.activeSince(2n) !== undefined, 5000, 'up through the proxy')
      await sleep(300) // pings are answered meanwhile
      assert.ok(a.transport.activeSince(2n) !== undefined)
      for (const [c, u] of pairs) {
        c.unpipe(u)
        u.unpipe(c)
        c.pause()
        u.pause()
      }
      const t0 = Date.now()
      await waitFor(() => a.transport.activeSince(2n) === undefined, 2000, 'partition detected')
      assert.ok(Date.now() - t0 < 1000)
      assert.match(
        String(a.log.find('warn', 'peer became inactive')[0].fields.error),
        /no keepalive answer within 100 ms/,
      )
    } finally {
      for (const p of pairs) for (const s of p) s.destroy()
      await new Promise<void>((r) => proxy.close(() => r()))
    }
  })

  it('backs off exponentially between reconnect attempts, up to the cap', async () => {
    const attempts: number[] = []
    // refuses every stream as a member that is stopping does
    const ignore = (): void => {}
    const fake = await PeerListener.listen(
      'http://127.0.0.1:0',
      undefined,
      {
        onStream: ignore,
        onRequest: ignore,
        onUpgrade: (_req, socket) => {
          attempts.push(Date.now())
          refuseUpgrade(socket, 503, 'member is stopping')
        },
      },
      { debug: ignore, info: ignore, warn: ignore },
    )
    const a = await startNode(1n, { backoff: { initialMs: 20, maxMs: 160, random: () => 0.5 } })
    nodes = [a]
    a.transport.addPeer(2n, [fake.url])
    await waitFor(() => attempts.length >= 7, 5000, '7 attempts')
    await a.transport.stop()
    await fake.close()
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i])
    // 20, 40, 80, 160, 160, 160 (+ connection time)
    assert.ok(gaps[0] < 80, `first gap ${gaps[0]}`)
    assert.ok(gaps[2] >= 70, `third gap ${gaps[2]}`)
    assert.ok(gaps[5] >= 150 && gaps[5] < 400, `capped gap ${gaps[5]}`)
    assert.equal(a.log.find('warn', 'peer rejected the stream').length, 1, 'a repeated rejection is logged once')
  })

  it('rejects a stream from another cluster, and the sender logs why', async () => {
    const a = await startNode(1n)
    const c = await startNode(3n, { clusterId: 0x1c2b3a4d5e6f7081n })
    nodes = [a, c]
    a.transport.addPeer(3n, [c.url])
    c.transport.addPeer(1n, [a.url])
    await waitFor(() => a.log.find('warn', 'peer rejected the stream').length > 0, 5000, 'rejection logged by sender')
    const err = String(a.log.find('warn', 'peer rejected the stream')[0].fields.error)
    assert.equal(err, 'rejected: cluster ID mismatch (local 7e27652122e8b2ae, remote 1c2b3a4d5e6f7081)')
    const rec = c.log.find('warn', 'rejected peer stream')
    assert.ok(rec.length > 0)
    assert.match(
      String(rec[0].fields.reason),
      /^cluster ID mismatch \(local 1c2b3a4d5e6f7081, remote 7e27652122e8b2ae\)$/,
    )
    assert.equal(a.transport.activeSince(3n), undefined)
    a.transport.send([heartbeat(1n, 3n, 1)])
    await waitFor(() => a.handler.unreachable.includes(3n), 2000, 'unreachable reported')
    assert.equal(c.handler.received.length, 0)
  })

  it('rejects a member that is not in the peer list, until it is added (join)', async () => {
    const a = await startNode(1n)
    const b = await startNode(2n)
    nodes = [a, b]
    a.transport.addPeer(2n, [b.url]) // B does not know A
    await waitFor(() => a.log.find('warn', 'peer rejected the stream').length > 0, 5000, 'rejection')
    assert.equal(
      String(a.log.find('warn', 'peer rejected the stream')[0].fields.error),
      "rejected: unknown member 1: not in this member's peer list",
    )
    assert.equal(a.transport.activeSince(2n), undefined)
    b.transport.addPeer(1n, [a.url])
    await waitFor(() => a.transport.activeSince(2n) !== undefined, 5000, 'accepted once known')
    a.transport.send([heartbeat(1n, 2n, 7)])
    await waitFor(() => b.handler.received.length === 1, 2000, 'delivered')
  })

  it('rejects a stream meant for another member (a URL now serving someone else)', async () => {
    const a = await startNode(1n)
    const c = await startNode(3n)
    nodes = [a, c]
    c.transport.addPeer(1n, [a.url])
    a.transport.addPeer(2n, [c.url]) // A thinks member 2 lives at C's URL
    await waitFor(() => a.log.find('warn', 'peer rejected the stream').length > 0, 5000, 'rejection')
    assert.equal(
      String(a.log.find('warn', 'peer rejected the stream')[0].fields.error),
      'rejected: member ID mismatch (this member is 3, remote 1 expected 2)',
    )
    assert.equal(a.transport.activeSince(2n), undefined)
  })

  it('refuses an unknown protocol version and resets a stream carrying garbage', async () => {
    const b = await startNode(2n)
    nodes = [b]
    b.transport.addPeer(1n, ['http://127.0.0.1:1'])
    const session = http2.connect(b.url)
    try {
      const headers = {
        ':method': 'POST',
        ':path': '/raft/stream',
        'x-tsetcd-peer-protocol': '1',
        'x-tsetcd-from': '1',
        'x-tsetcd-to': '2',
        'x-tsetcd-cluster-id': CLUSTER_ID.toString(16),
      }
      const old = session.request({ ...headers, 'x-tsetcd-peer-protocol': '0' }, { endStream: false })
      old.on('error', () => {})
      const [status, reason] = await new Promise<[unknown, unknown]>((r) =>
        old.on('response', (h) => r([h[':status'], h['x-tsetcd-reject-reason']])),
      )
      assert.equal(status, 400)
      assert.equal(reason, 'unsupported peer protocol version "0" (this member speaks 1)')

      const bad = session.request(headers, { endStream: false })
      bad.on('error', () => {})
      await new Promise((r) => bad.on('response', r))
      bad.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])) // a length far beyond the limit
      await new Promise((r) => bad.on('close', r))
      assert.equal(bad.rstCode, http2.constants.NGHTTP2_PROTOCOL_ERROR)
      assert.match(
        String(b.log.find('warn', 'malformed data on peer stream, closing it')[0].fields.error),
        /exceeds the limit/,
      )
      assert.equal(b.handler.received.length, 0)
    } finally {
      session.destroy()
    }
  })

  it('accepts an unknown member when told to', async () => {
    const a = await startNode(1n)
    const b = await startNode(2n, { acceptUnknownPeer: (id) => id === 1n })
    nodes = [a, b]
    a.transport.addPeer(2n, [b.url])
    await waitFor(() => a.transport.activeSince(2n) !== undefined, 5000, 'accepted')
    a.transport.send([heartbeat(1n, 2n, 1)])
    await waitFor(() => b.handler.received.length === 1, 2000, 'delivered')
  })

  it('removePeer and updatePeer take effect on live connections', async () => {
    nodes = await startCluster(3)
    const [a, b, c] = nodes
    a.transport.removePeer(2n)
    assert.equal(a.transport.activeSince(2n), undefined)
    assert.equal(a.transport.hasPeer(2n), false)
    // B's stream to A is refused now that A no longer lists B
    await waitFor(() => b.transport.activeSince(1n) === undefined, 5000, 'B loses its stream to A')
    await waitFor(() => b.log.find('warn', 'peer rejected the stream').length > 0, 5000, 'B is refused')
    // point A's entry for C at a dead URL, then back
    a.transport.updatePeer(3n, ['http://127.0.0.1:1'])
    await waitFor(() => a.transport.activeSince(3n) === undefined, 2000, 'C inactive after URL change')
    a.transport.updatePeer(3n, [c.url])
    await waitFor(() => a.transport.activeSince(3n) !== undefined, 5000, 'C active again')
    assert.throws(() => a.transport.updatePeer(9n, [c.url]), /not a peer/)
  })

  it('tries each of a peer’s URLs in turn', async () => {
    const b = await startNode(2n)
    const a = await startNode(1n)
    nodes = [a, b]
    b.transport.addPeer(1n, [a.url])
    a.transport.addPeer(2n, ['http://127.0.0.1:1', b.url])
    await waitFor(() => a.transport.activeSince(2n) !== undefined, 5000, 'second URL used')
    assert.equal(a.transport.peerStatus(2n)!.url, b.url)
  })

  it('stops promptly and leaves no open network handles', async () => {
    const baseline = openNetworkHandles()
    nodes = await startCluster(3)
    // one peer that never answers, so a reconnect loop is running too
    nodes[0].transport.addPeer(9n, ['http://127.0.0.1:1'])
    nodes[0].transport.send([heartbeat(1n, 2n, 1), heartbeat(1n, 9n, 1)])
    assert.ok(openNetworkHandles() > baseline)
    const t0 = Date.now()
    await stopAll(nodes)
    assert.ok(Date.now() - t0 < 1000, `stop took ${Date.now() - t0} ms`)
    await waitFor(() => openNetworkHandles() <= baseline, 2000, 'handles closed')
    // sending after stop is a no-op
    nodes[0].transport.send([heartbeat(1n, 2n, 2)])
    nodes = []
  })
})

describe('peer transport: GET API', function () {
  this.timeout(10_000)
  let node: Node | undefined
  afterEach(async () => {
    await node?.transport.stop()
    node = undefined
  })

  const members = [
    {
      id: 0x8e9e05c52164694dn,
      name: 'infra1',
      peerURLs: ['http://10.0.0.1:2380'],
      clientURLs: ['http://10.0.0.1:2379'],
    },
    { id: 0x91bc3c398fb3c146n, name: 'infra2', peerURLs: ['http://10.0.0.2:2380'], clientURLs: [] },
  ]

  it('GET /members over HTTP/1.1 and HTTP/2, and fetchMembers tries each URL', async () => {
    node = await startNode(1n, { members: () => members })
    const body1 = await new Promise<{ status: number; body: string; cluster: unknown }>((resolve, reject) => {
      http
        .get(`${node!.url}/members`, (res) => {
          let s = ''
          res.on('data', (c) => (s += c))
          res.on('end', () =>
            resolve({ status: res.statusCode!, body: s, cluster: res.headers['x-tsetcd-cluster-id'] }),
          )
        })
        .on('error', reject)
    })
    assert.equal(body1.status, 200)
    assert.equal(body1.cluster, '7e27652122e8b2ae')
    assert.deepEqual(JSON.parse(body1.body), [
      {
        id: '8e9e05c52164694d',
        name: 'infra1',
        peerURLs: ['http://10.0.0.1:2380'],
        clientURLs: ['http://10.0.0.1:2379'],
      },
      { id: '91bc3c398fb3c146', name: 'infra2', peerURLs: ['http://10.0.0.2:2380'], clientURLs: [] },
    ])

    const session = http2.connect(node.url)
    const req = session.request({ ':path': '/version' })
    let v = ''
    req.on('data', (c) => (v += c))
    await new Promise((r) => req.on('end', r))
    session.close()
    assert.deepEqual(JSON.parse(v), { etcdserver: '3.5.0', etcdcluster: '3.5.0' })

    const got = await fetchMembers(['http://127.0.0.1:1', node.url])
    assert.equal(got.clusterId, CLUSTER_ID)
    assert.deepEqual(got.members, members)
  })

  it('fetchMembers names every URL that failed', async () => {
    node = await startNode(1n) // no members callback: 503
    await assert.rejects(
      fetchMembers(['http://127.0.0.1:1', node.url], undefined, { timeoutMs: 500 }),
      (err: Error) => {
        assert.match(err.message, /http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/)
        assert.match(err.message, /HTTP 503: membership not available/)
        return true
      },
    )
  })

  it('answers unknown paths with 404', async () => {
    node = await startNode(1n)
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(`${node!.url}/nope`, (res) => {
          res.resume()
          resolve(res.statusCode!)
        })
        .on('error', reject)
    })
    assert.equal(status, 404)
  })
})

describe('peer transport: construction', () => {
  it('fails to start on a URL it cannot listen on, and releases what it opened', async () => {
    const baseline = openNetworkHandles()
    const t = new PeerTransport({
      memberId: 1n,
      clusterId: CLUSTER_ID,
      listenUrls: ['http://127.0.0.1:0', 'ftp://127.0.0.1:0'],
      handler: new RecordingHandler(),
      logger: new RecordingLogger(),
      backoff: FAST_BACKOFF,
    })
    await assert.rejects(t.start(), /unsupported scheme/)
    await t.stop()
    await waitFor(() => openNetworkHandles() <= baseline, 1000, 'handles closed')
  })
})
