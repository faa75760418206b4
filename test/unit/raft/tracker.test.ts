import { strict as assert } from 'node:assert'
import { Inflights } from '../../../src/raft/tracker/inflights.js'
import { Progress } from '../../../src/raft/tracker/progress.js'
import { ProgressTracker } from '../../../src/raft/tracker/tracker.js'

describe('raft/tracker', () => {
  describe('Inflights', () => {
    it('fills up by count and frees up to an index', () => {
      const inf = new Inflights(3)
      inf.add(5, 10)
      inf.add(7, 10)
      assert.equal(inf.full(), false)
      inf.add(9, 10)
      assert.equal(inf.full(), true)
      assert.throws(() => inf.add(11, 1))
      inf.freeLE(7)
      assert.equal(inf.count, 1)
      assert.equal(inf.bytes, 10)
      inf.add(11, 1)
      inf.add(12, 1)
      assert.equal(inf.count, 3, 'the ring wraps around')
      inf.freeFirstOne()
      assert.equal(inf.count, 2)
      inf.freeLE(100)
      assert.equal(inf.count, 0)
    })

    it('fills up by bytes', () => {
      const inf = new Inflights(100, 25)
      inf.add(1, 10)
      inf.add(2, 10)
      assert.equal(inf.full(), false)
      inf.add(3, 10)
      assert.equal(inf.full(), true)
      inf.freeLE(1)
      assert.equal(inf.full(), false)
    })
  })

  describe('Progress', () => {
    const mk = () => new Progress({ match: 0, next: 6, isLearner: false, maxInflight: 2 })

    it('probe sends one message at a time', () => {
      const pr = mk()
      assert.equal(pr.isPaused(), false)
      pr.sentEntries(7, 2, 10)
      assert.equal(pr.isPaused(), true)
      assert.equal(pr.next, 6, 'probing does not move next optimistically')
      assert.equal(pr.maybeUpdate(7), true)
      assert.equal(pr.isPaused(), false)
      assert.equal(pr.next, 8)
    })

    it('replicate streams within the window', () => {
      const pr = mk()
      pr.maybeUpdate(5)
      pr.becomeReplicate()
      pr.sentEntries(7, 2, 10)
      assert.equal(pr.next, 8)
      pr.sentEntries(9, 2, 10)
      assert.equal(pr.isPaused(), true, 'window of 2 is full')
      pr.maybeUpdate(7)
      pr.inflights.freeLE(7)
      assert.equal(pr.isPaused(), false)
    })

    it('rejections: stale ones are ignored, probe backs up to the hint', () => {
      const pr = mk()
      pr.sentEntries(6, 1, 1)
      assert.equal(pr.maybeDecrTo(3, 2), false, 'rejects an index we did not send')
      assert.equal(pr.maybeDecrTo(5, 2), true)
      assert.equal(pr.next, 3)
      assert.equal(pr.isPaused(), false)
      const rep = mk()
      rep.maybeUpdate(4)
      rep.becomeReplicate()
      assert.equal(rep.maybeDecrTo(3, 0), false, 'below match: stale')
      assert.equal(rep.maybeDecrTo(6, 0), true)
      assert.equal(rep.next, 5, 'replicate falls back to match + 1')
    })

    it('snapshot state pauses until the snapshot is done', () => {
      const pr = mk()
      pr.becomeSnapshot(20)
      assert.equal(pr.isPaused(), true)
      assert.throws(() => pr.sentEntries(21, 1, 1))
      pr.becomeProbe()
      assert.equal(pr.next, 21, 'after a snapshot, probe from just past it')
    })
  })

  describe('ProgressTracker', () => {
    it('tracks configuration, commit and votes', () => {
      const t = new ProgressTracker({ maxInflight: 4 })
      t.setConfig({ voters: new Set([1n, 2n, 3n]), learners: new Set([4n]) }, 10)
      assert.equal(t.progress.size, 4)
      assert.equal(t.progress.get(4n)!.isLearner, true)
      t.progress.get(1n)!.maybeUpdate(9)
      t.progress.get(4n)!.maybeUpdate(9)
      assert.equal(t.committed(), 0, 'a learner does not count toward quorum')
      t.progress.get(2n)!.maybeUpdate(8)
      assert.equal(t.committed(), 8)
      t.recordVote(1n, true)
      t.recordVote(4n, true)
      assert.equal(t.tallyVotes().result, 'pending')
      t.recordVote(2n, true)
      t.recordVote(2n, false)
      assert.deepEqual(t.tallyVotes(), { granted: 2, rejected: 0, result: 'won' }, 'the first answer of a voter sticks')
      t.setConfig({ voters: new Set([1n, 2n, 4n]), learners: new Set() }, 10)
      assert.equal(t.progress.has(3n), false)
      assert.equal(t.progress.get(4n)!.isLearner, false)
      assert.equal(t.progress.get(4n)!.match, 9, 'promotion keeps the progress')
      assert.deepEqual(t.confState(), { voters: [1n, 2n, 4n], learners: [] })
    })
  })
})
