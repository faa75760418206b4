import { strict as assert } from 'node:assert'
import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable } from '../../../src/raft/errors.js'
import { UnstableLog } from '../../../src/raft/log-unstable.js'
import { RaftLog } from '../../../src/raft/raft-log.js'
import { MemoryStorage } from '../../../src/raft/storage.js'
import type { Entry, Snapshot } from '../../../src/raft/types.js'

const ent = (index: number, term: number, data = ''): Entry => ({
  index,
  term,
  type: 'normal',
  data: new TextEncoder().encode(data),
})
const ents = (from: number, terms: number[]) => terms.map((t, i) => ent(from + i, t))
const snap = (index: number, term: number): Snapshot => ({
  metadata: { index, term, confState: { voters: [1n], learners: [] } },
  data: new Uint8Array([index]),
})
const terms = (es: Entry[]) => es.map((e) => e.term)

describe('raft/storage MemoryStorage', () => {
  it('appends, truncates conflicting suffixes and reads back', () => {
    const s = new MemoryStorage()
    s.append(ents(1, [1, 1, 2, 2]))
    assert.equal(s.firstIndex(), 1)
    assert.equal(s.lastIndex(), 4)
    s.append(ents(3, [3]))
    assert.equal(s.lastIndex(), 3)
    assert.deepEqual(terms(s.entries(1, 4)), [1, 1, 3])
    assert.throws(() => s.entries(1, 6), ErrUnavailable)
    assert.throws(() => s.append(ents(6, [3])), RangeError, 'a gap is refused')
  })

  it('limits entries by size but returns at least one', () => {
    const s = new MemoryStorage()
    s.append([ent(1, 1, 'x'.repeat(100)), ent(2, 1, 'y'.repeat(100)), ent(3, 1, 'z')])
    assert.equal(s.entries(1, 4, 1).length, 1)
    assert.equal(s.entries(1, 4, 240).length, 2)
    assert.equal(s.entries(1, 4).length, 3)
  })

  it('compacts, snapshots and applies snapshots', () => {
    const s = new MemoryStorage()
    s.append(ents(1, [1, 1, 2, 2, 3]))
    s.createSnapshot(3, { voters: [1n], learners: [] }, new Uint8Array([7]))
    s.compact(3)
    assert.equal(s.firstIndex(), 4)
    assert.equal(s.term(3), 2, 'the compaction point keeps its term')
    assert.throws(() => s.term(2), ErrCompacted)
    assert.throws(() => s.entries(3, 5), ErrCompacted)
    assert.deepEqual(terms(s.entries(4, 6)), [2, 3])
    assert.equal(s.snapshot().metadata.index, 3)
    assert.throws(() => s.applySnapshot(snap(2, 1)), ErrSnapOutOfDate)
    s.applySnapshot(snap(10, 4))
    assert.equal(s.firstIndex(), 11)
    assert.equal(s.lastIndex(), 10)
    assert.equal(s.term(10), 4)
    assert.deepEqual(s.initialState().confState, { voters: [1n], learners: [] })
    s.append(ents(8, [4, 4, 4, 5]))
    assert.equal(s.lastIndex(), 11, 'entries already covered by the snapshot are skipped')
  })

  it('compacting to or below the current compaction point is a no-op', () => {
    const s = new MemoryStorage()
    s.append(ents(1, [1, 1, 2, 2, 3]))
    s.compact(3)
    for (const i of [3, 2, 0]) {
      s.compact(i) // already compacted there: nothing to do
      assert.equal(s.firstIndex(), 4)
      assert.equal(s.term(3), 2)
      assert.deepEqual(terms(s.entries(4, 6)), [2, 3])
    }
    assert.throws(() => s.compact(6), RangeError, 'beyond the last index is still an error')
  })
})

describe('raft/log-unstable', () => {
  it('stableTo drops persisted entries only if the term still matches', () => {
    const u = new UnstableLog(5)
    u.truncateAndAppend(ents(5, [1, 1, 2]))
    u.stableTo(6, 2)
    assert.equal(u.offset, 5, 'term mismatch: ignored')
    u.stableTo(6, 1)
    assert.equal(u.offset, 7)
    assert.deepEqual(terms(u.entries), [2])
    assert.equal(u.maybeTerm(6), undefined)
  })

  it('truncateAndAppend handles append, overwrite-all and truncate-middle', () => {
    const u = new UnstableLog(5)
    u.truncateAndAppend(ents(5, [1, 1]))
    u.truncateAndAppend(ents(7, [1]))
    assert.deepEqual(terms(u.entries), [1, 1, 1])
    u.truncateAndAppend(ents(6, [2, 2]))
    assert.deepEqual(terms(u.entries), [1, 2, 2])
    u.truncateAndAppend(ents(3, [3]))
    assert.equal(u.offset, 3)
    assert.deepEqual(terms(u.entries), [3])
    assert.equal(u.maybeLastIndex(), 3)
  })

  it('restores a snapshot', () => {
    const u = new UnstableLog(5)
    u.truncateAndAppend(ents(5, [1]))
    u.restore(snap(20, 3))
    assert.equal(u.maybeFirstIndex(), 21)
    assert.equal(u.maybeLastIndex(), 20)
    assert.equal(u.maybeTerm(20), 3)
    u.stableSnapTo(20)
    assert.equal(u.snapshot, undefined)
  })
})

describe('raft/raft-log', () => {
  function logWith(stable: number[], unstable: number[] = []): RaftLog {
    const s = new MemoryStorage()
    s.append(ents(1, stable))
    const log = new RaftLog(s)
    log.append(ents(stable.length + 1, unstable))
    return log
  }

  it('reads across storage and the unstable tail', () => {
    const log = logWith([1, 1, 2], [2, 3])
    assert.equal(log.lastIndex(), 5)
    assert.equal(log.persistedLastIndex(), 3)
    assert.deepEqual(terms(log.slice(2, 6)), [1, 2, 2, 3])
    assert.equal(log.term(0), 0)
    assert.equal(log.term(6), undefined)
  })

  it('maybeAppend: match, conflict resolution, commit bound', () => {
    const log = logWith([1, 1, 2])
    assert.equal(log.maybeAppend(3, 3, 3, ents(4, [3])), undefined, 'previous entry term mismatch')
    assert.equal(log.maybeAppend(2, 1, 10, ents(3, [3, 3])), 4)
    assert.deepEqual(terms(log.slice(1, 5)), [1, 1, 3, 3])
    assert.equal(log.committed, 4, 'commit is capped at the last new entry')
    assert.equal(log.maybeAppend(1, 1, 4, ents(2, [1])), 2, 'an old duplicate truncates nothing')
    assert.equal(log.lastIndex(), 4)
    assert.throws(() => log.maybeAppend(1, 1, 4, ents(2, [5])), /conflicts with committed/)
  })

  it('findConflictByTerm finds where a follower log may match', () => {
    const log = logWith([1, 1, 2, 2, 2, 5])
    assert.deepEqual(log.findConflictByTerm(6, 4), { index: 5, term: 2 })
    assert.deepEqual(log.findConflictByTerm(6, 1), { index: 2, term: 1 })
    assert.deepEqual(log.findConflictByTerm(6, 5), { index: 6, term: 5 })
    assert.deepEqual(log.findConflictByTerm(9, 5), { index: 9, term: 0 }, 'beyond our log')
  })

  it('commits only entries of the given term (Figure 8)', () => {
    const log = logWith([1, 2, 2, 4])
    assert.equal(log.maybeCommit(3, 4), false, 'index 3 is of term 2, not the current term')
    assert.equal(log.committed, 0)
    assert.equal(log.maybeCommit(4, 4), true)
    assert.equal(log.committed, 4)
  })

  it('hands out committed entries once, and none while a snapshot is pending', () => {
    const log = logWith([1, 1, 1], [1])
    log.commitTo(3)
    assert.deepEqual(
      log.nextCommittedEntries().map((e) => e.index),
      [1, 2, 3],
    )
    log.appliedTo(3)
    assert.equal(log.hasNextCommittedEntries(), false)
    log.restore(snap(10, 2))
    assert.equal(log.committed, 10)
    assert.deepEqual(log.nextCommittedEntries(), [])
    assert.equal(log.firstIndex(), 11)
    assert.equal(log.isUpToDate(10, 2), true)
    assert.equal(log.isUpToDate(12, 1), false)
    assert.throws(() => log.slice(5, 8), ErrCompacted)
  })
})
