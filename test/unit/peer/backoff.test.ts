import assert from 'node:assert/strict'
import { Backoff } from '../../../src/server/peer/backoff.js'

describe('reconnect backoff', () => {
  it('doubles from the initial delay up to the cap, and starts over after reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 5000, random: () => 0.5 })
    const seq = Array.from({ length: 9 }, () => b.next())
    assert.deepEqual(seq, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000])
    b.reset()
    assert.equal(b.next(), 100)
  })

  it('jitters each delay within ±jitter using the injected random source', () => {
    const lo = new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: 0.2, random: () => 0 })
    const hi = new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: 0.2, random: () => 0.999999 })
    assert.equal(lo.next(), 800)
    assert.equal(hi.next(), 1200)
    assert.equal(lo.next(), 1600)
    assert.equal(hi.next(), 2400)
    // never above the cap, even with jitter
    const capped = new Backoff({ initialMs: 4000, maxMs: 5000, random: () => 0.999999 })
    capped.next()
    assert.equal(capped.next(), 5000)
  })
})
