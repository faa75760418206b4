import assert from 'node:assert/strict'
import fs from 'node:fs'
import http2 from 'node:http2'
import os from 'node:os'
import path from 'node:path'
import { fetchMembers, type PeerTlsOptions } from '../../../src/server/peer/index.js'
import { makeMessage } from '../../../src/raft/types.js'
import { startNode, stopAll, waitFor, type Node } from './harness.js'
import { writeCrl } from '../../helpers/crl.js'
import { testCa } from '../../helpers/certs.js'

describe('peer transport: TLS', function () {
  this.timeout(30_000)
  let dir = ''
  let good: PeerTlsOptions[] = []
  let rogue: PeerTlsOptions
  let nodes: Node[] = []

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsetcd-peer-tls-'))
    const [ca, otherCa] = await Promise.all([testCa(dir, 'ca'), testCa(dir, 'other-ca')])
    const peer = (p: { cert: string; key: string }, trusted: string): PeerTlsOptions => ({
      certFile: p.cert,
      keyFile: p.key,
      trustedCAFile: trusted,
      clientCertAuth: true,
    })
    good = [peer(await ca.issue('m1', 'member1'), ca.ca), peer(await ca.issue('m2', 'member2'), ca.ca)]
    // rogue trusts the real CA (so it can verify the servers) but its own cert is from another CA
    rogue = peer(await otherCa.issue('rogue', 'member1'), ca.ca)
  })
  after(() => {
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true })
  })
  afterEach(async () => {
    await stopAll(nodes)
    nodes = []
  })

  async function tlsNode(id: bigint, tls: PeerTlsOptions, extra = {}): Promise<Node> {
    return startNode(id, { listenUrls: ['https://127.0.0.1:0'], tls, ...extra })
  }

  it('two members with mutual TLS exchange messages', async () => {
    const a = await tlsNode(1n, good[0])
    const b = await tlsNode(2n, good[1])
    nodes = [a, b]
    assert.match(a.url, /^https:\/\/127\.0\.0\.1:\d+$/)
    a.transport.addPeer(2n, [b.url])
    b.transport.addPeer(1n, [a.url])
    await waitFor(
      () => a.transport.activeSince(2n) !== undefined && b.transport.activeSince(1n) !== undefined,
      5000,
      'TLS streams up',
    )
    a.transport.send([makeMessage({ type: 'MsgHeartbeat', from: 1n, to: 2n, commit: 1 })])
    b.transport.send([makeMessage({ type: 'MsgHeartbeatResp', from: 2n, to: 1n, commit: 2 })])
    await waitFor(() => a.handler.received.length === 1 && b.handler.received.length === 1, 2000, 'delivered')
    assert.equal(b.handler.received[0].commit, 1)
    assert.equal(a.handler.received[0].commit, 2)
  })

  it('refuses a client certificate from another CA, and a client without one', async () => {
    const b = await tlsNode(2n, good[1])
    const r = await tlsNode(1n, rogue)
    nodes = [b, r]
    b.transport.addPeer(1n, [r.url])
    r.transport.addPeer(2n, [b.url])
    await waitFor(() => r.log.find('warn', 'cannot reach peer').length > 0, 5000, 'rogue fails to connect')
    assert.match(
      String(r.log.find('warn', 'cannot reach peer')[0].fields.error),
      /does it trust this member's client certificate/,
    )
    assert.equal(r.transport.activeSince(2n), undefined)
    await new Promise((res) => setTimeout(res, 200))
    assert.equal(r.transport.activeSince(2n), undefined)
    // b, dialling the rogue's server, cannot verify its certificate either
    assert.equal(b.transport.activeSince(1n), undefined)

    const ca = fs.readFileSync(good[1].trustedCAFile!)
    const noCert = await new Promise<string>((resolve) => {
      const s = http2.connect(b.url, { ca })
      s.on('error', (e) => resolve(e.message))
      const req = s.request({ ':path': '/version' })
      req.on('error', (e) => resolve(e.message))
      req.on('response', () => resolve('answered'))
      req.end()
      setTimeout(() => resolve('timeout'), 3000).unref()
    })
    assert.notEqual(noCert, 'answered')
    assert.notEqual(noCert, 'timeout')
  })

  it('enforces the allowed common name', async () => {
    const a = await tlsNode(1n, good[0])
    const b = await tlsNode(2n, { ...good[1], allowedCN: 'member9' })
    nodes = [a, b]
    b.transport.addPeer(1n, [a.url])
    a.transport.addPeer(2n, [b.url])
    await waitFor(() => b.log.find('warn', 'rejected peer connection').length > 0, 5000, 'CN refused')
    assert.match(
      String(b.log.find('warn', 'rejected peer connection')[0].fields.reason),
      /client certificate authentication failed/,
    )
    assert.equal(a.transport.activeSince(2n), undefined)
  })

  it('refuses a peer whose certificate the --peer-crl-file revokes', async () => {
    const crl = path.join(dir, 'peer-crl.pem')
    await writeCrl(path.join(dir, 'ca.pem'), path.join(dir, 'ca-key.pem'), [good[0].certFile], crl)
    const a = await tlsNode(1n, good[0])
    const b = await tlsNode(2n, { ...good[1], crlFile: crl })
    nodes = [a, b]
    b.transport.addPeer(1n, [a.url])
    a.transport.addPeer(2n, [b.url])
    await waitFor(() => b.log.find('warn', 'rejected peer connection').length > 0, 5000, 'revoked refused')
    assert.match(
      String(b.log.find('warn', 'rejected peer connection')[0].fields.reason),
      /^transport: certificate serial [0-9a-f]+ revoked$/,
    )
    assert.equal(a.transport.activeSince(2n), undefined)
  })

  it('serves GET /members over HTTPS to fetchMembers with the peer certificate', async () => {
    const members = [
      { id: 0xabcn, name: 'm1', peerURLs: ['https://127.0.0.1:2380'], clientURLs: ['https://127.0.0.1:2379'] },
    ]
    const a = await tlsNode(1n, good[0], { members: () => members })
    nodes = [a]
    const got = await fetchMembers([a.url], good[1])
    assert.deepEqual(got.members, members)
    await assert.rejects(fetchMembers([a.url], rogue, { timeoutMs: 2000 }), /could not retrieve cluster members/)
  })
})
