import assert from 'node:assert/strict'
import { parseGoDuration } from '../../../src/go/duration.js'

describe('go: time.ParseDuration', () => {
  it('parses units, sequences, fractions and signs into milliseconds', () => {
    assert.equal(parseGoDuration('300ms'), 300)
    assert.equal(parseGoDuration('1.5h'), 5_400_000)
    assert.equal(parseGoDuration('2h45m'), 9_900_000)
    assert.equal(parseGoDuration('-5s'), -5000)
    assert.equal(parseGoDuration(' 1500us '), 1.5)
  })

  it('takes a bare zero with or without a sign, as Go does', () => {
    for (const zero of ['0', '-0', '+0']) assert.equal(Math.abs(parseGoDuration(zero)!), 0, zero)
  })

  it('rejects numbers without units, unknown units and empty text', () => {
    for (const bad of ['', '-', '10', '10d', 'h', '1h x', '--1h']) assert.equal(parseGoDuration(bad), undefined, bad)
  })
})
