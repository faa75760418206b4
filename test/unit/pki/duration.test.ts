import assert from 'node:assert/strict'
import { parseDuration, parsePositiveDuration } from '../../../src/pki/duration.js'

const H = 3_600_000

describe('pki: Go durations', () => {
  it('parses single units', () => {
    assert.equal(parseDuration('43800h'), 43800 * H)
    assert.equal(parseDuration('90m'), 90 * 60_000)
    assert.equal(parseDuration('45s'), 45_000)
    assert.equal(parseDuration('250ms'), 250)
    assert.equal(parseDuration('1500us'), 1.5)
    assert.equal(parseDuration('2000000ns'), 2)
  })

  it('parses sequences, fractions, signs and a bare zero', () => {
    assert.equal(parseDuration('1h30m'), 1.5 * H)
    assert.equal(parseDuration('1.5h'), 1.5 * H)
    assert.equal(parseDuration('2h45m30s'), 2 * H + 45 * 60_000 + 30_000)
    assert.equal(parseDuration('.5s'), 500)
    assert.equal(parseDuration('-1m'), -60_000)
    assert.equal(parseDuration('0'), 0)
  })

  it('rejects numbers without units, unknown units and empty text, quoting the input', () => {
    for (const bad of ['', '10', '10d', 'h', '1h x', '1y', '--1h']) {
      assert.throws(
        () => parseDuration(bad),
        (err: Error) => err.message.includes(`"${bad}"`),
        bad,
      )
    }
  })

  it('requires a positive lifetime where one is needed', () => {
    assert.equal(parsePositiveDuration('24h', 'expiry'), 24 * H)
    assert.throws(() => parsePositiveDuration('0', 'expiry'), /expiry must be a positive duration/)
    assert.throws(() => parsePositiveDuration('-5h', 'expiry'), /positive/)
  })
})
