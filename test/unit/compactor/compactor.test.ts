import assert from 'node:assert/strict'
import {
  PeriodicCompactor,
  RevisionCompactor,
  autoCompactor,
  type Clock,
  type CompactorDeps,
} from '../../../src/server/compactor/index.js'
import { buildConfig } from '../../../src/server/config/config.js'
import { parseCompactionRetention } from '../../../src/server/config/compaction.js'
import { Errors } from '../../../src/errors/rpctypes.js'
import { silentLogger } from '../../../src/server/log.js'

const MIN = 60_000
const HOUR = 60 * MIN

/** A clock whose time moves only when told; due timers run in order, letting promises settle. */
class FakeClock implements Clock {
  t = 0
  private timers: { at: number; fn: () => void; seq: number }[] = []
  private seq = 0
  now(): number {
    return this.t
  }
  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, fn, seq: this.seq++ }
    this.timers.push(timer)
    return () => (this.timers = this.timers.filter((x) => x !== timer))
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const next = this.timers[0]
      if (!next || next.at > end) break
      this.timers.shift()
      this.t = next.at
      next.fn()
      for (let i = 0; i < 10; i++) await Promise.resolve()
    }
    this.t = end
  }
  get pending(): number {
    return this.timers.length
  }
}

function harness(rev: () => number, fail?: (r: number) => Error | undefined) {
  const clock = new FakeClock()
  const compacted: { at: number; rev: number }[] = []
  const deps: CompactorDeps = {
    revision: rev,
    compact: async (r) => {
      const err = fail?.(r)
      if (err) throw err
      compacted.push({ at: clock.now(), rev: r })
    },
    isCompacted: (err) => err === Errors.Compacted,
    log: silentLogger,
    clock,
  }
  return { clock, compacted, deps }
}

describe('auto-compaction: periodic mode (etcd 3.4 v3compactor)', () => {
  it('with a 2h retention: first compacts after 2h at the revision of 2h ago, then every hour at the revision of 2h before', async () => {
    let rev = 0
    const h = harness(() => ++rev) // every sample sees one revision more, as etcd's fakeRevGetter
    const c = new PeriodicCompactor(2 * HOUR, h.deps)
    c.resume()
    await h.clock.advance(2 * HOUR - 1)
    assert.equal(h.compacted.length, 0)
    await h.clock.advance(1)
    await h.clock.advance(3 * HOUR)
    assert.deepEqual(h.compacted, [
      { at: 2 * HOUR, rev: 1 },
      { at: 3 * HOUR, rev: 10 },
      { at: 4 * HOUR, rev: 20 },
      { at: 5 * HOUR, rev: 30 },
    ])
    c.stop()
    assert.equal(h.clock.pending, 0)
  })

  it('a retention under an hour samples every tenth of it and compacts once per retention', async () => {
    let rev = 100
    const h = harness(() => rev)
    const c = new PeriodicCompactor(10_000, h.deps)
    c.resume()
    for (let i = 0; i < 10; i++) {
      rev += 5
      await h.clock.advance(1000)
    }
    assert.deepEqual(h.compacted, [{ at: 10_000, rev: 100 }])
    await h.clock.advance(10_000)
    // the oldest of the last 11 samples (taken each second): the one of t=9s, revision 145
    assert.deepEqual(
      h.compacted.map((x) => x.rev),
      [100, 145],
    )
    c.stop()
  })

  it('does not compact while paused (not the leader), but keeps sampling; retries a failure a tenth later', async () => {
    let rev = 0
    let failing = true
    const h = harness(
      () => ++rev,
      () => (failing ? new Error('etcdserver: request timed out') : undefined),
    )
    const c = new PeriodicCompactor(HOUR, h.deps)
    await h.clock.advance(2 * HOUR)
    assert.equal(h.compacted.length, 0)
    c.resume()
    await h.clock.advance(6 * MIN) // compacts at once: more than the period passed; fails
    assert.equal(h.compacted.length, 0)
    failing = false
    await h.clock.advance(6 * MIN)
    assert.equal(h.compacted.length, 1)
    assert.equal(h.compacted[0].at, 2 * HOUR + 12 * MIN)
    c.pause()
    await h.clock.advance(3 * HOUR)
    assert.equal(h.compacted.length, 1)
    c.stop()
  })
})

describe('auto-compaction: revision mode (etcd 3.4 v3compactor)', () => {
  it('every check compacts at current revision − retention, skipping non-positive and repeated ones', async () => {
    let rev = 5
    const h = harness(() => rev)
    const c = new RevisionCompactor(10, h.deps)
    c.resume()
    await h.clock.advance(5 * MIN)
    assert.equal(h.compacted.length, 0)
    rev = 25
    await h.clock.advance(5 * MIN - 1)
    assert.equal(h.compacted.length, 0)
    await h.clock.advance(1)
    assert.deepEqual(h.compacted, [{ at: 10 * MIN, rev: 15 }])
    await h.clock.advance(5 * MIN)
    assert.equal(h.compacted.length, 1)
    rev = 31
    await h.clock.advance(5 * MIN)
    assert.deepEqual(
      h.compacted.map((x) => x.rev),
      [15, 21],
    )
    c.pause()
    rev = 100
    await h.clock.advance(30 * MIN)
    assert.equal(h.compacted.length, 2)
    c.resume()
    await h.clock.advance(5 * MIN)
    assert.deepEqual(
      h.compacted.map((x) => x.rev),
      [15, 21, 90],
    )
    c.stop()
    assert.equal(h.clock.pending, 0)
  })

  it('"already compacted" counts as done; other failures are retried at the next check', async () => {
    const rev = 50
    let err: Error | undefined = Errors.Compacted
    const h = harness(
      () => rev,
      () => err,
    )
    const tries: number[] = []
    const compact = h.deps.compact
    h.deps.compact = (r) => (tries.push(r), compact(r))
    const c = new RevisionCompactor(10, h.deps, 1000)
    c.resume()
    await h.clock.advance(3000)
    assert.deepEqual(tries, [40]) // compacted counts: not retried at the same revision
    c.stop()
    err = new Error('etcdserver: request timed out')
    const tries2: number[] = []
    const h2 = harness(
      () => rev,
      () => err,
    )
    const compact2 = h2.deps.compact
    h2.deps.compact = (r) => (tries2.push(r), compact2(r))
    const c2 = new RevisionCompactor(10, h2.deps, 1000)
    c2.resume()
    await h2.clock.advance(3000)
    assert.deepEqual(tries2, [40, 40, 40])
    c2.stop()
  })
})

describe('auto-compaction: configuration', () => {
  it('reads the retention as etcd does: hours or revisions as a number, else a duration', () => {
    assert.equal(parseCompactionRetention('periodic', '1'), HOUR)
    assert.equal(parseCompactionRetention('periodic', '30m'), 30 * MIN)
    assert.equal(parseCompactionRetention('periodic', '0'), 0)
    assert.equal(parseCompactionRetention('revision', '1000'), 1000)
    assert.equal(parseCompactionRetention('revision', '1us'), 1000) // etcd counts a duration's nanoseconds
    assert.throws(() => parseCompactionRetention('periodic', 'abc'), {
      message: 'error parsing CompactionRetention: time: invalid duration "abc"',
    })
    const cfg = buildConfig(['--auto-compaction-mode', 'revision', '--auto-compaction-retention', '10'], {
      TSETCD_AUTO_COMPACTION_CHECK_INTERVAL: '200ms',
    })
    assert.equal(cfg.autoCompactionRetention, 10)
    assert.equal(cfg.autoCompactionCheckIntervalMs, 200)
    assert.equal(buildConfig([], {}).autoCompactionRetention, 0)
  })

  it('no compactor for a zero retention; the configured one otherwise', () => {
    const target = { revision: () => 1, compact: async () => undefined }
    assert.equal(
      autoCompactor({ autoCompactionMode: 'periodic', autoCompactionRetention: 0 }, target, silentLogger),
      undefined,
    )
    const clock = new FakeClock()
    const p = autoCompactor(
      { autoCompactionMode: 'periodic', autoCompactionRetention: HOUR },
      target,
      silentLogger,
      clock,
    )
    assert.ok(p instanceof PeriodicCompactor)
    p.stop()
    const r = autoCompactor({ autoCompactionMode: 'revision', autoCompactionRetention: 5 }, target, silentLogger, clock)
    assert.ok(r instanceof RevisionCompactor)
    r.stop()
  })
})
