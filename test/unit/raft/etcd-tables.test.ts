/**
 * Table tests after etcd-io/raft's own (log_test.go TestLogMaybeAppend,
 * raft_test.go testRecvMsgVote, tracker/progress_test.go
 * TestProgressMaybeDecr), restated against tsetcd's core: the same rules,
 * the same expected outcomes.
 */
import { strict as assert } from 'node:assert'
import { configFromConfState } from '../../../src/raft/conf-change.js'
import { Raft } from '../../../src/raft/raft.js'
import { RaftLog } from '../../../src/raft/raft-log.js'
import { stepCandidate } from '../../../src/raft/step-candidate.js'
import { stepFollower } from '../../../src/raft/step-follower.js'
import { stepLeader } from '../../../src/raft/step-leader.js'
import { MemoryStorage } from '../../../src/raft/storage.js'
import { Progress } from '../../../src/raft/tracker/progress.js'
import { makeMessage, NONE, type Entry, type Role } from '../../../src/raft/types.js'

const ent = (index: number, term: number): Entry => ({ index, term, type: 'normal', data: new Uint8Array(0) })

describe('raft: etcd-io/raft rule tables', () => {
  it('maybeAppend: matching, conflicts, commit bounds (TestLogMaybeAppend)', () => {
    const last = 3
    const lastTerm = 3
    const commit = 1
    // [logTerm, index, committed, entries, want lastNew (undefined: no match), want commit, want throw]
    const table: Array<[number, number, number, Entry[], number | undefined, number, boolean]> = [
      [lastTerm - 1, last, last, [ent(last + 1, 4)], undefined, commit, false], // term differs
      [lastTerm, last + 1, last, [ent(last + 2, 4)], undefined, commit, false], // index beyond the log
      [lastTerm, last, last, [], last, last, false],
      [lastTerm, last, last + 1, [], last, last, false], // commit capped at the last new entry
      [lastTerm, last, last - 1, [], last, last - 1, false],
      [lastTerm, last, 0, [], last, commit, false], // commit never decreases
      [0, 0, last, [], 0, commit, false],
      [lastTerm, last, last, [ent(last + 1, 4)], last + 1, last, false],
      [lastTerm, last, last + 1, [ent(last + 1, 4)], last + 1, last + 1, false],
      [lastTerm, last, last + 2, [ent(last + 1, 4)], last + 1, last + 1, false],
      [lastTerm, last, last + 2, [ent(last + 1, 4), ent(last + 2, 4)], last + 2, last + 2, false],
      [lastTerm - 1, last - 1, last, [ent(last, 4)], last, last, false], // match in the middle
      [lastTerm - 2, last - 2, last, [ent(last - 1, 4)], last - 1, last - 1, false],
      [lastTerm - 3, last - 3, last, [ent(last - 2, 4)], undefined, commit, true], // conflicts with a committed entry
      [lastTerm - 2, last - 2, last, [ent(last - 1, 4), ent(last, 4)], last, last, false],
    ]
    table.forEach(([logTerm, index, committed, ents, wantLast, wantCommit, wantThrow], i) => {
      const log = new RaftLog(new MemoryStorage())
      log.append([ent(1, 1), ent(2, 2), ent(3, 3)])
      log.committed = commit
      if (wantThrow) {
        assert.throws(() => log.maybeAppend(index, logTerm, committed, ents), /conflicts with committed/, `#${i}`)
        return
      }
      assert.equal(log.maybeAppend(index, logTerm, committed, ents), wantLast, `#${i} lastNew`)
      assert.equal(log.committed, wantCommit, `#${i} committed`)
      if (wantLast !== undefined && ents.length > 0) {
        assert.deepEqual(
          log.slice(index + 1, wantLast + 1).map((e) => e.term),
          ents.map((e) => e.term),
          `#${i} entries`,
        )
      }
    })
  })

  for (const type of ['MsgVote', 'MsgPreVote'] as const) {
    it(`${type}: up-to-date log and one vote per term (testRecvMsgVote)`, () => {
      // [role, candidate's last index, last term, our vote, want reject]; our log is (1,2),(2,2).
      const table: Array<[Role, number, number, bigint, boolean]> = [
        ['follower', 0, 0, NONE, true],
        ['follower', 0, 1, NONE, true],
        ['follower', 0, 2, NONE, true],
        ['follower', 0, 3, NONE, false],
        ['follower', 1, 0, NONE, true],
        ['follower', 1, 1, NONE, true],
        ['follower', 1, 2, NONE, true],
        ['follower', 1, 3, NONE, false],
        ['follower', 2, 0, NONE, true],
        ['follower', 2, 1, NONE, true],
        ['follower', 2, 2, NONE, false],
        ['follower', 2, 3, NONE, false],
        ['follower', 3, 0, NONE, true],
        ['follower', 3, 1, NONE, true],
        ['follower', 3, 2, NONE, false],
        ['follower', 3, 3, NONE, false],
        ['follower', 3, 2, 2n, false], // already voted for this candidate
        ['follower', 3, 2, 1n, true], // voted for someone else
        ['leader', 3, 3, 1n, true],
        ['preCandidate', 3, 3, 1n, true],
        ['candidate', 3, 3, 1n, true],
      ]
      table.forEach(([role, index, logTerm, vote, wantReject], i) => {
        const storage = new MemoryStorage()
        storage.append([ent(1, 2), ent(2, 2)])
        const r = new Raft({ id: 1n, storage, electionTick: 10, heartbeatTick: 1, random: () => 0 })
        r.tracker.setConfig(configFromConfState({ voters: [1n, 2n], learners: [] }), 3)
        r.role = role
        r.stepFn = role === 'follower' ? stepFollower : role === 'leader' ? stepLeader : stepCandidate
        r.lead = role === 'leader' ? 1n : NONE
        r.vote = vote
        const term = Math.max(2, logTerm)
        r.term = term
        r.step(makeMessage({ type, term, from: 2n, to: 1n, index, logTerm }))
        const out = [...r.msgs, ...r.msgsAfterPersist]
        assert.equal(out.length, 1, `#${i} one answer`)
        assert.equal(out[0]!.type, type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp', `#${i}`)
        assert.equal(out[0]!.reject, wantReject, `#${i} reject`)
      })
    })
  }

  it('rejected appends move next back (TestProgressMaybeDecr)', () => {
    // [state, match, next, rejected, follower's hint, want changed, want next]
    const table: Array<['probe' | 'replicate', number, number, number, number, boolean, number]> = [
      ['replicate', 5, 10, 5, 5, false, 10], // stale: at or below match
      ['replicate', 5, 10, 4, 4, false, 10],
      ['replicate', 5, 10, 9, 9, true, 6], // back to match + 1
      ['probe', 0, 0, 0, 0, false, 0], // not the probe in flight
      ['probe', 0, 10, 5, 5, false, 10],
      ['probe', 0, 10, 9, 9, true, 9],
      ['probe', 0, 2, 1, 1, true, 1],
      ['probe', 0, 1, 0, 0, true, 1], // never below match + 1
      ['probe', 0, 10, 9, 2, true, 3], // the hint skips back
      ['probe', 0, 10, 9, 0, true, 1],
    ]
    table.forEach(([state, match, next, rejected, hint, wantChanged, wantNext], i) => {
      const pr = new Progress({ match, next, isLearner: false, maxInflight: 256 })
      if (state === 'replicate') {
        pr.becomeReplicate()
        pr.next = next
      }
      assert.equal(pr.maybeDecrTo(rejected, hint), wantChanged, `#${i} changed`)
      assert.equal(pr.next, wantNext, `#${i} next`)
    })
  })
})
