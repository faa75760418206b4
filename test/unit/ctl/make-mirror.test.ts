import assert from 'node:assert/strict'
import { destinationPrefix, MirrorArgsError, renameKey } from '../../../src/ctl/make-mirror.js'

describe('make-mirror key renaming', () => {
  it("replaces the first occurrence of the prefix, as Go's strings.Replace(key, prefix, dest, 1)", () => {
    assert.equal(renameKey(Buffer.from('/a/x/a/'), '/a/', '/b/').toString(), '/b/x/a/')
    assert.equal(renameKey(Buffer.from('/a/x'), '/a/', '').toString(), 'x')
    assert.equal(renameKey(Buffer.from('key'), '', '/copy/').toString(), '/copy/key')
    assert.equal(renameKey(Buffer.from('k$&'), 'k', '$&').toString(), '$&$&')
    assert.deepEqual(renameKey(Buffer.from([0xff, 0x01]), '', 'p'), Buffer.from([0x70, 0xff, 0x01]))
  })

  it('keeps the prefix by default, drops it with --no-dest-prefix, refuses both flags', () => {
    assert.equal(destinationPrefix({ prefix: '/a/', destPrefix: '', noDestPrefix: false }), '/a/')
    assert.equal(destinationPrefix({ prefix: '/a/', destPrefix: '', noDestPrefix: true }), '')
    assert.equal(destinationPrefix({ prefix: '/a/', destPrefix: '/b/', noDestPrefix: false }), '/b/')
    assert.throws(
      () => destinationPrefix({ prefix: '/a/', destPrefix: '/b/', noDestPrefix: true }),
      (e: Error) => e instanceof MirrorArgsError && /cannot be set at the same time/.test(e.message),
    )
  })
})
