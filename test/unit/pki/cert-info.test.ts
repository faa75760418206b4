import assert from 'node:assert/strict'
import { parseCsrRequest } from '../../../src/pki/csr-request.js'
import { describeCertificate, formatCertificateInfo, validityWarning } from '../../../src/pki/cert-info.js'
import { parseCertificates } from '../../../src/pki/certificate-pem.js'
import { makeCa, makeLeaf } from '../../../src/pki/gencert.js'
import { BUILTIN_CONFIG } from '../../../src/pki/signing-config.js'

const DAY = 86_400_000

describe('pki: certificate info', () => {
  it('describes subject, issuer, SANs, usages, key and validity', async () => {
    const ca = await makeCa(parseCsrRequest('{"CN": "etcd-ca", "key": {"algo": "ecdsa", "size": 384}}', 'f'))
    const leaf = await makeLeaf(
      parseCsrRequest('{"CN": "infra1", "hosts": ["10.0.0.1", "localhost"], "names": [{"O": "acme"}]}', 'f'),
      { cert: ca.cert, key: ca.key },
      BUILTIN_CONFIG,
      'peer',
    )
    const info = describeCertificate(leaf.cert, new Date())
    assert.equal(info.subject, 'O=acme, CN=infra1')
    assert.equal(info.issuer, 'CN=etcd-ca')
    assert.deepEqual(info.sans, ['IP:10.0.0.1', 'DNS:localhost'])
    assert.deepEqual(info.keyUsage, ['digital signature', 'key encipherment'])
    assert.deepEqual(info.extKeyUsage, ['server auth', 'client auth'])
    assert.equal(info.keyAlgorithm, 'ECDSA P-256')
    assert.equal(info.signatureAlgorithm, 'ECDSA-SHA384')
    assert.equal(info.serial, leaf.cert.serialNumber)
    assert.equal(info.isCa, false)
    assert.equal(info.warning, undefined)

    const text = formatCertificateInfo(info)
    assert.match(text, /^Subject: +O=acme, CN=infra1$/m)
    assert.match(text, /^SANs: +IP:10\.0\.0\.1, DNS:localhost$/m)
    assert.match(text, /^Ext key usage: +server auth, client auth$/m)
    assert.doesNotMatch(text, /WARNING/)

    const caInfo = describeCertificate(ca.cert)
    assert.equal(caInfo.isCa, true)
    assert.deepEqual(caInfo.keyUsage, ['cert sign', 'crl sign'])
    assert.equal(parseCertificates(ca.certPem + leaf.certPem, 'bundle.pem').length, 2)
    assert.throws(() => parseCertificates('nothing here', 'x.pem'), /x\.pem: no PEM certificate found/)
  })

  it('warns within the window, after expiry and before the start, and not otherwise', () => {
    const start = new Date('2030-01-01T00:00:00Z')
    const end = new Date(start.getTime() + 40 * DAY)
    const at = (days: number): Date => new Date(end.getTime() - days * DAY)
    assert.equal(validityWarning(start, end, at(31), 30), undefined)
    assert.match(
      validityWarning(start, end, at(29.5), 30)!,
      /^WARNING: certificate expires in 29 days, on 2030-02-10T00:00:00\.000Z/,
    )
    assert.match(validityWarning(start, end, at(0.5), 30)!, /expires in 12 hours/)
    assert.match(
      validityWarning(start, end, at(-3), 30)!,
      /^WARNING: certificate expired on 2030-02-10T00:00:00\.000Z \(3 days ago\)/,
    )
    assert.match(validityWarning(start, end, new Date(start.getTime() - DAY), 30)!, /not valid until 2030-01-01/)
    assert.equal(validityWarning(start, end, at(20), 10), undefined)
  })
})
