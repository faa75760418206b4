import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import fs from 'node:fs'
import type { DetailedPeerCertificate } from 'node:tls'
import { explainTlsFailure, loadClientTls, type TlsFailure } from '../../../src/client/tls.js'
import { diagnoseClientCert, goTime, hostnameError, remoteAlert } from '../../../src/client/tls-errors.js'
import { makeTestPki, type TestPki } from '../../helpers/certs.js'

const NOW = new Date('2026-03-01T12:00:00.123Z')

function peer(
  subject: Record<string, string>,
  issuer: Record<string, string>,
  extra: Partial<DetailedPeerCertificate> = {},
): DetailedPeerCertificate {
  return {
    subject,
    issuer,
    valid_from: 'Jan  1 00:00:00 2026 GMT',
    valid_to: 'Jan  1 00:00:00 2031 GMT',
    raw: Buffer.from('x'),
    ...extra,
  } as unknown as DetailedPeerCertificate
}

function failure(f: Partial<TlsFailure>): TlsFailure {
  return { code: 'UNKNOWN', message: '', stage: 'handshake', serverSpokeTls: true, host: '127.0.0.1', at: NOW, ...f }
}

describe('TLS: client error translation', () => {
  let pki: TestPki
  before(async () => {
    pki = await makeTestPki()
  })
  after(() => fs.rmSync(pki.dir, { recursive: true, force: true }))
  const material = (o: { ca?: string; cert?: string; key?: string } = {}) =>
    loadClientTls({ caFile: o.ca, certFile: o.cert, keyFile: o.key })

  it('formats times and names as Go does', () => {
    assert.equal(goTime(NOW), '2026-03-01T12:00:00Z')
    assert.equal(remoteAlert('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), 'remote error: tls: bad certificate')
    assert.equal(remoteAlert('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'remote error: tls: certificate required')
    assert.equal(remoteAlert('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 'remote error: tls: unknown certificate authority')
    assert.equal(remoteAlert('ECONNRESET'), undefined)
  })

  it("hostname mismatches read like Go's x509.HostnameError", () => {
    const cert = peer({ CN: 'wrong' }, { CN: 'ca' }, { subjectaltname: 'IP Address:10.9.9.9, DNS:wrong.example' })
    assert.equal(hostnameError('127.0.0.1', cert), 'x509: certificate is valid for 10.9.9.9, not 127.0.0.1')
    assert.equal(hostnameError('localhost', cert), 'x509: certificate is valid for wrong.example, not localhost')
    const dnsOnly = peer({ CN: 'x' }, { CN: 'ca' }, { subjectaltname: 'DNS:etcd.example' })
    assert.equal(
      hostnameError('127.0.0.1', dnsOnly),
      "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
    )
    const ipOnly = peer({ CN: 'x' }, { CN: 'ca' }, { subjectaltname: 'IP Address:127.0.0.1' })
    assert.equal(
      hostnameError('localhost', ipOnly),
      'x509: certificate is not valid for any names, but wanted to match localhost',
    )
  })

  it('a server certificate from a CA not in --cacert: unknown authority, naming the issuer and the file', () => {
    const m = material({ ca: pki.otherCa })
    const text = explainTlsFailure(
      failure({
        stage: 'server-certificate',
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        serverCert: peer({ CN: 'm1' }, { CN: 'etcd-ca' }),
      }),
      m,
    )
    assert.equal(
      text,
      `x509: certificate signed by unknown authority (the server's certificate "CN=m1" is issued by "CN=etcd-ca", which --cacert ${pki.otherCa} does not contain)`,
    )
    const noCa = explainTlsFailure(
      failure({
        stage: 'server-certificate',
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
        serverCert: peer({ CN: 'm1' }, { CN: 'etcd-ca' }),
      }),
      material(),
    )
    assert.match(
      noCa,
      /^x509: certificate signed by unknown authority \(.*not among the system's trusted CAs: pass that CA with --cacert\)$/,
    )
    const selfSigned = explainTlsFailure(
      failure({
        stage: 'server-certificate',
        code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
        serverCert: peer({ O: 'etcd' }, { O: 'etcd' }),
      }),
      material(),
    )
    assert.match(
      selfSigned,
      /^x509: certificate signed by unknown authority \(the server's certificate "O=etcd" is self-signed: pass it with --cacert, or use --insecure-skip-tls-verify/,
    )
  })

  it("an expired server certificate: Go's message with the times", () => {
    const cert = peer(
      { CN: 'old' },
      { CN: 'ca' },
      { valid_from: 'Jan  1 00:00:00 2025 GMT', valid_to: 'Feb  1 00:00:00 2026 GMT' },
    )
    assert.equal(
      explainTlsFailure(
        failure({ stage: 'server-certificate', code: 'CERT_HAS_EXPIRED', serverCert: cert }),
        material(),
      ),
      'x509: certificate has expired or is not yet valid: current time 2026-03-01T12:00:00Z is after 2026-02-01T00:00:00Z (the server\'s certificate "CN=old")',
    )
  })

  it('no client certificate where one is required', () => {
    assert.equal(
      explainTlsFailure(
        failure({ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', stage: 'after-handshake' }),
        material({ ca: pki.ca }),
      ),
      'remote error: tls: certificate required (the server requires a client certificate: pass --cert and --key)',
    )
    assert.equal(
      explainTlsFailure(failure({ code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE' }), material({ ca: pki.ca })),
      'remote error: tls: bad certificate (the server requires a client certificate: pass --cert and --key)',
    )
  })

  it('a refused client certificate is explained from the certificate itself', () => {
    const at = new Date()
    const expired = material({ ca: pki.ca, cert: pki.expiredClient.cert, key: pki.expiredClient.key })
    const to = goTime(new Date(new X509Certificate(fs.readFileSync(pki.expiredClient.cert)).validTo))
    assert.equal(
      explainTlsFailure(failure({ code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', at }), expired),
      `tls: the server refused client certificate ${pki.expiredClient.cert} (remote error: tls: bad certificate): x509: certificate has expired or is not yet valid: current time ${goTime(at)} is after ${to}`,
    )
    const serverOnly = material({ ca: pki.ca, cert: pki.serverOnlyClient.cert, key: pki.serverOnlyClient.key })
    assert.equal(
      explainTlsFailure(failure({ code: 'ECONNRESET', stage: 'after-handshake', at }), serverOnly),
      `tls: the server refused client certificate ${pki.serverOnlyClient.cert} (it closed the connection during the TLS handshake): x509: certificate specifies an incompatible key usage (its extended key usage is server auth, not client auth)`,
    )
    const other = material({ ca: pki.ca, cert: pki.otherClient.cert, key: pki.otherClient.key })
    assert.match(
      explainTlsFailure(failure({ code: 'ECONNRESET', at }), other),
      /^tls: the server refused client certificate .*other-client\.pem \(it closed the connection during the TLS handshake\): x509: certificate signed by unknown authority \(it is issued by "CN=etcd-ca" \(another CA of the same name\), not by the CA in --cacert/,
    )
    const good = material({ ca: pki.ca, cert: pki.client.cert, key: pki.client.key })
    assert.equal(diagnoseClientCert(good, at), undefined)
    assert.equal(
      explainTlsFailure(failure({ code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', at }), good),
      `tls: the server refused client certificate ${pki.client.cert} (remote error: tls: unknown certificate authority): x509: certificate signed by unknown authority`,
    )
  })

  it('a server that does not speak TLS', () => {
    const text = explainTlsFailure(failure({ code: 'ERR_SSL_WRONG_VERSION_NUMBER', serverSpokeTls: false }), material())
    assert.match(
      text,
      /^tls: first record does not look like a TLS handshake \(the server does not answer in TLS: use an http:\/\/ endpoint/,
    )
  })

  it("bad --cacert/--cert/--key files give etcdctl's messages", () => {
    assert.throws(() => material({ cert: pki.client.cert }), {
      message: `KeyFile and CertFile must both be present[key: , cert: ${pki.client.cert}]`,
    })
    assert.throws(() => material({ ca: '/nonexistent/ca.pem' }), {
      message: 'open /nonexistent/ca.pem: no such file or directory',
    })
    assert.throws(() => material({ cert: pki.client.cert, key: pki.server.key }), {
      message: 'tls: private key does not match public key',
    })
    assert.throws(() => material({ ca: pki.client.key }), /no PEM certificate found/)
  })
})
