import assert from 'node:assert/strict'
import tls from 'node:tls'
import {
  nodeTlsVersion,
  opensslCiphers,
  TLS12_SUITES,
  TLS13_SUITES,
  TlsConfigError,
} from '../../../src/server/tls/index.js'

describe('TLS: --cipher-suites and --tls-min-version', () => {
  it('maps Go names to OpenSSL names, keeping the TLS 1.3 suites enabled as Go does', () => {
    const list = opensslCiphers(
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS1.2',
    )
    assert.equal(list, ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', ...TLS13_SUITES].join(':'))
  })

  it('treats both spellings of the ChaCha20 suites as one, and accepts TLS 1.3 names', () => {
    const list = opensslCiphers(
      'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,TLS_AES_128_GCM_SHA256',
      'TLS1.2',
    )
    assert.equal(list, ['ECDHE-RSA-CHACHA20-POLY1305', ...TLS13_SUITES].join(':'))
  })

  it('leaves the defaults alone when the flag is empty', () => {
    assert.equal(opensslCiphers('', 'TLS1.2'), undefined)
    assert.equal(opensslCiphers(' , ', 'TLS1.3'), undefined)
  })

  it("rejects an unknown name with etcd's message naming it", () => {
    assert.throws(
      () => opensslCiphers('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_FOO', 'TLS1.2'),
      (e: Error) => e instanceof TlsConfigError && e.message === 'unexpected TLS cipher suite "TLS_FOO"',
    )
  })

  it('says so when a suite Go knows is missing from OpenSSL (RC4)', () => {
    assert.throws(
      () => opensslCiphers('TLS_RSA_WITH_RC4_128_SHA', 'TLS1.2'),
      /TLS cipher suite "TLS_RSA_WITH_RC4_128_SHA" \(OpenSSL RC4-SHA\) is not available/,
    )
  })

  it('refuses cipher suites when only TLS 1.3 is allowed, as etcd does', () => {
    assert.throws(
      () => opensslCiphers('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS1.3'),
      /cipher suites cannot be configured when only TLS1.3 is enabled/,
    )
  })

  it('every modern suite of the table exists in this OpenSSL', () => {
    const have = new Set(tls.getCiphers().map((c) => c.toUpperCase()))
    const modern = Object.entries(TLS12_SUITES).filter(([go]) => !/RC4|3DES/.test(go))
    assert.ok(modern.length >= 18)
    for (const [go, openssl] of modern) assert.ok(have.has(openssl), `${go} → ${openssl}`)
  })

  it('maps --tls-min-version to Node names', () => {
    assert.equal(nodeTlsVersion('TLS1.2'), 'TLSv1.2')
    assert.equal(nodeTlsVersion('TLS1.3'), 'TLSv1.3')
    assert.throws(() => nodeTlsVersion('TLS1.1'), /unknown TLS version "TLS1.1"/)
  })
})
