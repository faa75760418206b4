import assert from 'node:assert/strict'
import { createPrivateKey, createPublicKey, verify, webcrypto } from 'node:crypto'
import {
  CURVE_BY_SIZE,
  ECDSA_SIZES,
  RSA_SIZES,
  checkKeySpec,
  signatureHash,
  type KeySpec,
} from '../../../src/pki/key-spec.js'
import { generateKey, loadPrivateKey, publicKeyDer, type KeyMaterial } from '../../../src/pki/keys.js'

const SPECS: KeySpec[] = [
  ...RSA_SIZES.map((size) => ({ algo: 'rsa' as const, size })),
  ...ECDSA_SIZES.map((size) => ({ algo: 'ecdsa' as const, size })),
]

describe('pki: keys', function () {
  this.timeout(60_000)
  const made = new Map<string, KeyMaterial>()
  const label = (s: KeySpec): string => `${s.algo}-${s.size}`

  before(async () => {
    // Each size once (RSA 4096 is the slow one); the generations run side by side.
    const keys = await Promise.all(SPECS.map((spec) => generateKey(spec)))
    SPECS.forEach((spec, i) => made.set(label(spec), keys[i]))
  })

  for (const spec of SPECS) {
    it(`generates ${label(spec)} in cfssl's PEM form, signing with the right hash`, async () => {
      const key = made.get(label(spec))!
      const header = spec.algo === 'rsa' ? 'RSA PRIVATE KEY' : 'EC PRIVATE KEY'
      assert.match(key.privateKeyPem, new RegExp(`^-----BEGIN ${header}-----\n`))
      const parsed = createPrivateKey(key.privateKeyPem)
      if (spec.algo === 'rsa') {
        assert.equal(parsed.asymmetricKeyType, 'rsa')
        assert.equal(parsed.asymmetricKeyDetails?.modulusLength, spec.size)
        assert.equal(parsed.asymmetricKeyDetails?.publicExponent, 65537n)
      } else {
        assert.equal(parsed.asymmetricKeyType, 'ec')
        const curves: Record<number, string> = { 256: 'prime256v1', 384: 'secp384r1', 521: 'secp521r1' }
        assert.equal(parsed.asymmetricKeyDetails?.namedCurve, curves[spec.size])
      }
      // The WebCrypto key signs, and Node verifies with the PEM's public key and the chosen hash.
      const data = Buffer.from('tsetcd')
      const params = spec.algo === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: signatureHash(spec) }
      const sig = Buffer.from(await webcrypto.subtle.sign(params, key.keys.privateKey as webcrypto.CryptoKey, data))
      const hash = signatureHash(spec).replace('-', '').toLowerCase()
      const ok =
        spec.algo === 'rsa'
          ? verify(hash, data, createPublicKey(key.privateKeyPem), sig)
          : verify(hash, data, { key: createPublicKey(key.privateKeyPem), dsaEncoding: 'ieee-p1363' }, sig)
      assert.ok(ok, 'signature verifies')
    })
  }

  it('loads every generated key back with the same algorithm and size', async () => {
    for (const spec of SPECS) {
      const original = made.get(label(spec))!
      const loaded = await loadPrivateKey(original.privateKeyPem, 'k.pem')
      assert.deepEqual(loaded.spec, spec)
      assert.ok(publicKeyDer(loaded).equals(publicKeyDer(original)))
    }
  })

  it('loads PKCS#8 keys too, and names the file of an unreadable one', async () => {
    const pkcs8 = createPrivateKey(made.get('ecdsa-384')!.privateKeyPem)
      .export({ type: 'pkcs8', format: 'pem' })
      .toString()
    assert.deepEqual((await loadPrivateKey(pkcs8, 'p8.pem')).spec, { algo: 'ecdsa', size: 384 })
    await assert.rejects(loadPrivateKey('not a key', 'ca-key.pem'), /ca-key\.pem: not a readable PEM private key/)
  })

  it('picks the signature hash by key strength, as cfssl does', () => {
    assert.deepEqual(
      SPECS.map((s) => `${label(s)}:${signatureHash(s)}`),
      [
        'rsa-2048:SHA-256',
        'rsa-3072:SHA-384',
        'rsa-4096:SHA-512',
        'ecdsa-256:SHA-256',
        'ecdsa-384:SHA-384',
        'ecdsa-521:SHA-512',
      ],
    )
    assert.equal(CURVE_BY_SIZE[384], 'P-384')
  })

  it('rejects unsupported algorithms and sizes', () => {
    assert.throws(() => checkKeySpec('ed25519', 256), /unsupported key algorithm "ed25519": use "rsa" or "ecdsa"/)
    assert.throws(() => checkKeySpec('rsa', 1024), /unsupported rsa key size 1024/)
    assert.throws(() => checkKeySpec('ecdsa', 224), /unsupported ecdsa key size 224: use one of 256, 384, 521/)
  })
})
