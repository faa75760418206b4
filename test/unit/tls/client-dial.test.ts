import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { EtcdClient, type ClientOptions } from '../../../src/client/client.js'
import { buildConfig } from '../../../src/server/config/config.js'
import { silentLogger } from '../../../src/server/log.js'
import { clientPortSecurity, type ClientPortSecurity } from '../../../src/server/tls/index.js'
import { makeTestPki, type TestPki } from '../../helpers/certs.js'
import { grpcServer } from './handshakes.js'

/** What EtcdClient.connect says when the dial fails (or "connected"). */
async function dial(opts: ClientOptions): Promise<string> {
  try {
    const c = await EtcdClient.connect({ dialTimeoutMs: 800, ...opts })
    c.close()
    return 'connected'
  } catch (err) {
    return (err as Error).message
  }
}

describe("TLS: what tsetcd's client says when a TLS dial fails", function () {
  this.timeout(30000)
  let pki: TestPki
  const servers: { stop: () => void }[] = []
  const secs: ClientPortSecurity[] = []
  before(async () => {
    pki = await makeTestPki()
  })
  after(() => {
    servers.forEach((s) => s.stop())
    secs.forEach((s) => s.close())
    fs.rmSync(pki.dir, { recursive: true, force: true })
  })

  async function server(pair: { cert: string; key: string }, mtls: boolean): Promise<string> {
    const url = 'https://127.0.0.1:2379'
    const args = [
      '--data-dir',
      path.join(pki.dir, 'd'),
      '--listen-client-urls',
      url,
      '--advertise-client-urls',
      url,
      '--cert-file',
      pair.cert,
      '--key-file',
      pair.key,
    ]
    const sec = await clientPortSecurity(
      buildConfig(mtls ? [...args, '--trusted-ca-file', pki.ca, '--client-cert-auth'] : args, {}),
      silentLogger,
    )
    secs.push(sec)
    const s = await grpcServer(sec, url)
    servers.push(s)
    return `127.0.0.1:${s.port}`
  }
  const tls = (ca?: string, pair?: { cert: string; key: string }, insecureSkipVerify = false) => ({
    caFile: ca,
    certFile: pair?.cert,
    keyFile: pair?.key,
    insecureSkipVerify,
  })

  it('connects with the right CA and client certificate, by IP and by name, and with https:// endpoints', async () => {
    const ep = await server(pki.server, true)
    assert.equal(await dial({ endpoints: [ep], secure: true, tls: tls(pki.ca, pki.client) }), 'connected')
    assert.equal(
      await dial({ endpoints: [`https://${ep.replace('127.0.0.1', 'localhost')}`], tls: tls(pki.ca, pki.client) }),
      'connected',
    )
  })

  it('unknown authority, hostname mismatch, expired server certificate', async () => {
    const ep = await server(pki.server, false)
    assert.equal(
      await dial({ endpoints: [`https://${ep}`], tls: tls(pki.otherCa) }),
      `context deadline exceeded: https://${ep}: x509: certificate signed by unknown authority (the server's certificate "CN=m1" is issued by "CN=etcd-ca", which --cacert ${pki.otherCa} does not contain)`,
    )
    assert.equal(await dial({ endpoints: [`https://${ep}`], tls: tls(undefined, undefined, true) }), 'connected')
    const wrong = await server(pki.wrongHost, false)
    assert.match(
      await dial({ endpoints: [`https://${wrong}`], tls: tls(pki.ca) }),
      new RegExp(
        `^context deadline exceeded: https://${wrong}: x509: certificate is valid for 10\\.9\\.9\\.9, not 127\\.0\\.0\\.1 \\(`,
      ),
    )
    const old = await server(pki.expiredServer, false)
    assert.match(
      await dial({ endpoints: [`https://${old}`], tls: tls(pki.ca) }),
      /: x509: certificate has expired or is not yet valid: current time \S+Z is after \S+Z \(the server's certificate "CN=old-server"\)$/,
    )
  })

  it('missing, foreign, expired and server-only client certificates', async () => {
    const ep = await server(pki.server, true)
    const prefix = `context deadline exceeded: https://${ep}: `
    assert.equal(
      await dial({ endpoints: [`https://${ep}`], tls: tls(pki.ca) }),
      `${prefix}remote error: tls: certificate required (the server requires a client certificate: pass --cert and --key)`,
    )
    assert.match(
      await dial({ endpoints: [`https://${ep}`], tls: tls(pki.ca, pki.otherClient) }),
      /: tls: the server refused client certificate \S+other-client\.pem \(.*\): x509: certificate signed by unknown authority/,
    )
    assert.match(
      await dial({ endpoints: [`https://${ep}`], tls: tls(pki.ca, pki.expiredClient) }),
      /: tls: the server refused client certificate \S+expired-client\.pem \(.*\): x509: certificate has expired or is not yet valid: current time \S+ is after \S+$/,
    )
    assert.match(
      await dial({ endpoints: [`https://${ep}`], tls: tls(pki.ca, pki.serverOnlyClient) }),
      /: tls: the server refused client certificate \S+server-only\.pem \(.*\): x509: certificate specifies an incompatible key usage/,
    )
    // the server is unharmed
    assert.equal(await dial({ endpoints: [`https://${ep}`], tls: tls(pki.ca, pki.client) }), 'connected')
  })

  it('plain client against a TLS port, TLS client against a plain port, nothing listening', async () => {
    const tlsEp = await server(pki.server, false)
    assert.equal(
      await dial({ endpoints: [tlsEp] }),
      `context deadline exceeded: ${tlsEp}: the server expects TLS: use an https:// endpoint (with --cacert, and --cert and --key if it asks for a client certificate)`,
    )
    const plain = await grpcServer()
    servers.push(plain)
    assert.match(
      await dial({ endpoints: [`https://127.0.0.1:${plain.port}`], tls: tls(pki.ca) }),
      /: tls: first record does not look like a TLS handshake \(the server does not answer in TLS/,
    )
    assert.equal(await dial({ endpoints: ['https://127.0.0.1:1'], tls: tls(pki.ca) }), 'context deadline exceeded')
    assert.equal(await dial({ endpoints: ['127.0.0.1:1'] }), 'context deadline exceeded')
  })
})
