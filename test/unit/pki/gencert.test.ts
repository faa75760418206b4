import assert from 'node:assert/strict'
import { X509Certificate as NodeX509 } from 'node:crypto'
import { parseCsrRequest, type CsrRequest } from '../../../src/pki/csr-request.js'
import { cfsslJson, makeCa, makeLeaf, type CertBundle } from '../../../src/pki/gencert.js'
import { BACKDATE_MS } from '../../../src/pki/sign-certificate.js'
import { loadIssuer, type Issuer } from '../../../src/pki/issuer.js'
import { BUILTIN_CONFIG, parseSigningConfig } from '../../../src/pki/signing-config.js'
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Pkcs10CertificateRequest,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
} from '../../../src/pki/x509.js'

const H = 3_600_000
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
const NOW = new Date('2030-01-02T03:04:05Z')

const etcdRequest: CsrRequest = parseCsrRequest(
  JSON.stringify({
    CN: 'etcd',
    hosts: ['127.0.0.1', '192.168.255.131', 'etcd.example.com', '::1'],
    key: { algo: 'ecdsa', size: 256 },
    names: [{ C: 'CN', ST: 'SH', L: 'SH' }],
  }),
  'etcd.json',
)

describe('pki: making a CA and signing certificates', function () {
  this.timeout(20_000)
  let ca: CertBundle
  let issuer: Issuer

  before(async () => {
    ca = await makeCa(parseCsrRequest('{"CN": "etcd", "key": {"algo": "rsa", "size": 2048}}', 'ca-csr.json'), {
      now: NOW,
    })
    issuer = await loadIssuer(ca.certPem, 'ca.pem', ca.keyPem, 'ca-key.pem')
  })

  it('makes a self-signed CA: CA:TRUE, cert sign + crl sign, a subject key id, 5 years from a backdated start', () => {
    const cert = ca.cert
    assert.equal(cert.subject, 'CN=etcd')
    assert.equal(cert.issuer, 'CN=etcd')
    const bc = cert.getExtension(BasicConstraintsExtension)!
    assert.equal(bc.ca, true)
    assert.equal(bc.critical, true)
    const ku = cert.getExtension(KeyUsagesExtension)!
    assert.equal(ku.usages, KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)
    assert.equal(ku.critical, true)
    assert.ok(cert.getExtension(SubjectKeyIdentifierExtension)?.keyId)
    assert.equal(cert.getExtension(AuthorityKeyIdentifierExtension), null)
    assert.equal(cert.notBefore.getTime(), NOW.getTime() - BACKDATE_MS)
    assert.equal(cert.notAfter.getTime() - cert.notBefore.getTime(), 43800 * H)
    const node = new NodeX509(ca.certPem)
    assert.equal(node.ca, true)
    assert.ok(node.verify(node.publicKey), 'self-signature verifies')
  })

  it("signs a server certificate with the profile's usages, the hosts as SANs and both key ids", async () => {
    const leaf = await makeLeaf(etcdRequest, issuer, BUILTIN_CONFIG, 'server', { now: NOW })
    const cert = leaf.cert
    assert.equal(cert.subject, 'C=CN, ST=SH, L=SH, CN=etcd')
    assert.equal(cert.issuer, 'CN=etcd')
    assert.equal(
      cert.getExtension(KeyUsagesExtension)!.usages,
      KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment,
    )
    assert.deepEqual([...cert.getExtension(ExtendedKeyUsageExtension)!.usages], [SERVER_AUTH, CLIENT_AUTH])
    assert.equal(cert.getExtension(BasicConstraintsExtension)!.ca, false)
    const sans = cert.getExtension(SubjectAlternativeNameExtension)!.names.items.map((n) => `${n.type}:${n.value}`)
    assert.deepEqual(sans, ['ip:127.0.0.1', 'ip:192.168.255.131', 'dns:etcd.example.com', 'ip:::1'])
    assert.equal(
      cert.getExtension(AuthorityKeyIdentifierExtension)!.keyId,
      ca.cert.getExtension(SubjectKeyIdentifierExtension)!.keyId,
    )
    assert.ok(cert.getExtension(SubjectKeyIdentifierExtension)!.keyId)

    const node = new NodeX509(leaf.certPem)
    assert.ok(node.verify(new NodeX509(ca.certPem).publicKey), 'signed by the CA')
    assert.ok(node.checkIssued(new NodeX509(ca.certPem)))
    assert.equal(node.checkIP('192.168.255.131'), '192.168.255.131')
    assert.equal(node.checkHost('etcd.example.com'), 'etcd.example.com')
    assert.deepEqual(node.keyUsage, [SERVER_AUTH, CLIENT_AUTH])
    assert.equal(cert.notAfter.getTime() - cert.notBefore.getTime(), 43800 * H)
  })

  it("gives a client certificate only client auth, and follows a config's profile and an expiry override", async () => {
    const config = parseSigningConfig(
      '{"signing": {"default": {"expiry": "8760h"}, "profiles": {"client": {"expiry": "100h", "usages": ["signing", "client auth"]}}}}',
      'c.json',
    )
    const fromConfig = await makeLeaf(parseCsrRequest('{"CN": "client"}', 'client.json'), issuer, config, 'client', {
      now: NOW,
    })
    assert.equal(fromConfig.cert.getExtension(KeyUsagesExtension)!.usages, KeyUsageFlags.digitalSignature)
    assert.deepEqual([...fromConfig.cert.getExtension(ExtendedKeyUsageExtension)!.usages], [CLIENT_AUTH])
    assert.equal(fromConfig.cert.notAfter.getTime() - fromConfig.cert.notBefore.getTime(), 100 * H)
    assert.equal(fromConfig.cert.getExtension(SubjectAlternativeNameExtension), null)

    const short = await makeLeaf(parseCsrRequest('{"CN": "client"}', 'client.json'), issuer, BUILTIN_CONFIG, 'client', {
      now: NOW,
      expiryMs: 24 * H,
    })
    assert.equal(short.cert.notAfter.getTime() - short.cert.notBefore.getTime(), 24 * H)
    assert.deepEqual(new NodeX509(short.certPem).keyUsage, [CLIENT_AUTH])
  })

  it('issues an intermediate CA from a profile with ca_constraint', async () => {
    const config = parseSigningConfig(
      '{"signing": {"profiles": {"intermediate": {"usages": ["cert sign", "crl sign"], "expiry": "8760h", "ca_constraint": {"is_ca": true, "max_path_len": 0, "max_path_len_zero": true}}}}}',
      'c.json',
    )
    const sub = await makeLeaf(parseCsrRequest('{"CN": "etcd-intermediate"}', 'f'), issuer, config, 'intermediate', {
      now: NOW,
    })
    const bc = sub.cert.getExtension(BasicConstraintsExtension)!
    assert.equal(bc.ca, true)
    assert.equal(bc.pathLength, 0)
    assert.equal(sub.cert.getExtension(KeyUsagesExtension)!.usages, KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)
    assert.equal(new NodeX509(sub.certPem).ca, true)
  })

  it('gives every certificate a fresh random positive serial', async () => {
    const request = parseCsrRequest('{"CN": "x"}', 'x.json')
    const serials = [ca.cert.serialNumber]
    for (let i = 0; i < 3; i++)
      serials.push((await makeLeaf(request, issuer, BUILTIN_CONFIG, 'client')).cert.serialNumber)
    assert.equal(new Set(serials).size, serials.length)
    for (const serial of serials) {
      assert.ok(serial.length >= 38 && serial.length <= 40, serial)
      assert.ok(parseInt(serial.slice(0, 2), 16) < 0x80, 'positive')
    }
  })

  it('writes a CSR with the subject, the hosts as requested SANs, signed by the new key', async () => {
    const leaf = await makeLeaf(etcdRequest, issuer, BUILTIN_CONFIG, 'peer', { now: NOW })
    const csr = new Pkcs10CertificateRequest(leaf.csrPem)
    assert.equal(csr.subject, 'C=CN, ST=SH, L=SH, CN=etcd')
    assert.ok(await csr.verify())
    const requested = csr.extensions.find((e) => e.type === '2.5.29.17')!
    const names = new SubjectAlternativeNameExtension(requested.rawData).names.items.map((n) => `${n.type}:${n.value}`)
    assert.deepEqual(names, ['ip:127.0.0.1', 'ip:192.168.255.131', 'dns:etcd.example.com', 'ip:::1'])
    assert.ok(Buffer.from(csr.publicKey.rawData).equals(Buffer.from(leaf.cert.publicKey.rawData)))
  })

  it("signs with the CA key's hash: a P-384 CA signs ECDSA-SHA384", async () => {
    const ca384 = await makeCa(
      parseCsrRequest('{"CN": "ca", "key": {"algo": "ecdsa", "size": 384}, "ca": {"pathlen": 1}}', 'f'),
    )
    assert.deepEqual(ca384.cert.signatureAlgorithm, { name: 'ECDSA', hash: { name: 'SHA-384' } })
    assert.equal(ca384.cert.getExtension(BasicConstraintsExtension)!.pathLength, 1)
    const i384 = await loadIssuer(ca384.certPem, 'ca.pem', ca384.keyPem, 'ca-key.pem')
    const leaf = await makeLeaf(etcdRequest, i384, BUILTIN_CONFIG, 'server')
    assert.deepEqual(leaf.cert.signatureAlgorithm, { name: 'ECDSA', hash: { name: 'SHA-384' } })
    assert.ok(new NodeX509(leaf.certPem).verify(new NodeX509(ca384.certPem).publicKey))
  })

  it('refuses a CA key that does not belong to the CA, and a CA certificate that is not a CA', async () => {
    const other = await makeCa(parseCsrRequest('{"CN": "other"}', 'f'))
    await assert.rejects(
      loadIssuer(ca.certPem, 'ca.pem', other.keyPem, 'other-key.pem'),
      /other-key\.pem is not the private key of ca\.pem/,
    )
    const leaf = await makeLeaf(etcdRequest, issuer, BUILTIN_CONFIG, 'server')
    await assert.rejects(
      loadIssuer(leaf.certPem, 'server.pem', leaf.keyPem, 'server-key.pem'),
      /server\.pem: not a CA certificate/,
    )
    await assert.rejects(loadIssuer('junk', 'ca.pem', ca.keyPem, 'ca-key.pem'), /ca\.pem: no PEM certificate found/)
  })

  it('prints the JSON cfssl gencert prints', () => {
    const parsed = JSON.parse(cfsslJson(ca)) as Record<string, string>
    assert.deepEqual(Object.keys(parsed).sort(), ['cert', 'csr', 'key'])
    assert.equal(parsed.cert, ca.certPem)
    assert.equal(parsed.key, ca.keyPem)
  })
})
