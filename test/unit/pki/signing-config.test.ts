import assert from 'node:assert/strict'
import { BUILTIN_CONFIG, findProfile, parseSigningConfig, profilePolicy } from '../../../src/pki/signing-config.js'
import { EXT_KEY_USAGES, extKeyUsageWord, keyUsageWords, resolveUsages } from '../../../src/pki/usages.js'
import { KeyUsageFlags } from '../../../src/pki/x509.js'

const H = 3_600_000
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'

const GUIDE_CONFIG = `{"signing": {"default": {"expiry": "43800h"},
  "profiles": {
    "server": {"expiry": "43800h", "usages": ["signing", "key encipherment", "server auth", "client auth"]},
    "client": {"expiry": "43800h", "usages": ["signing", "key encipherment", "client auth"]},
    "peer":   {"expiry": "43800h", "usages": ["signing", "key encipherment", "server auth", "client auth"]}}}}`

describe('pki: signing profiles and usages', () => {
  it('maps cfssl usage words to keyUsage bits and EKU OIDs', () => {
    const server = resolveUsages(['signing', 'key encipherment', 'server auth', 'client auth'], 'test')
    assert.equal(server.keyUsage, KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment)
    assert.deepEqual(server.extKeyUsages, [SERVER_AUTH, CLIENT_AUTH])
    const ca = resolveUsages(['cert sign', 'crl sign'], 'test')
    assert.equal(ca.keyUsage, KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)
    assert.deepEqual(ca.extKeyUsages, [])
    assert.throws(
      () => resolveUsages(['signing', 'server-auth'], 'profile "x"'),
      /profile "x": unknown usage "server-auth"/,
    )
  })

  it("names usages back in cfssl's words", () => {
    assert.deepEqual(keyUsageWords(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment), [
      'digital signature',
      'key encipherment',
    ])
    assert.equal(extKeyUsageWord(EXT_KEY_USAGES['client auth']), 'client auth')
    assert.equal(extKeyUsageWord('1.2.3.4'), '1.2.3.4')
  })

  it("reads the guide's ca-config.json: each profile's usages and expiry", () => {
    const config = parseSigningConfig(GUIDE_CONFIG, 'ca-config.json')
    assert.deepEqual(Object.keys(config.profiles), ['server', 'client', 'peer'])
    const client = profilePolicy(config, findProfile(config, 'client'))
    assert.deepEqual(client, {
      keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment,
      extKeyUsages: [CLIENT_AUTH],
      expiryMs: 43800 * H,
    })
    assert.deepEqual(profilePolicy(config, findProfile(config, 'peer')).extKeyUsages, [SERVER_AUTH, CLIENT_AUTH])
  })

  it("has built-in server, peer and client profiles matching the guide's", () => {
    const guide = parseSigningConfig(GUIDE_CONFIG, 'ca-config.json')
    for (const name of ['server', 'peer', 'client']) {
      assert.deepEqual(
        profilePolicy(BUILTIN_CONFIG, findProfile(BUILTIN_CONFIG, name)),
        profilePolicy(guide, findProfile(guide, name)),
        name,
      )
    }
  })

  it("fills a profile's missing expiry from the default profile", () => {
    const config = parseSigningConfig(
      '{"signing": {"default": {"expiry": "100h"}, "profiles": {"p": {"usages": ["client auth"]}}}}',
      'c.json',
    )
    assert.equal(profilePolicy(config, findProfile(config, 'p')).expiryMs, 100 * H)
  })

  it('reports unknown profiles, usage-less profiles and bad files clearly', () => {
    const config = parseSigningConfig(GUIDE_CONFIG, 'ca-config.json')
    assert.throws(
      () => findProfile(config, 'kubernetes'),
      /unknown profile "kubernetes" in ca-config.json \(known: default, server, client, peer\)/,
    )
    assert.throws(
      () => profilePolicy(config, findProfile(config, undefined)),
      /profile "default" in ca-config.json has no usages/,
    )
    assert.throws(() => parseSigningConfig('{', 'c.json'), /c\.json: not valid JSON/)
    assert.throws(() => parseSigningConfig('{"profiles": {}}', 'c.json'), /missing the "signing" object/)
    assert.throws(
      () => parseSigningConfig('{"signing": {"profiles": {"x": {"usages": ["sign"]}}}}', 'c.json'),
      /profile "x": unknown usage "sign"/,
    )
    assert.throws(
      () =>
        parseSigningConfig('{"signing": {"profiles": {"x": {"usages": ["signing"], "expiry": "1 year"}}}}', 'c.json'),
      /profile "x": invalid duration/,
    )
  })
})
