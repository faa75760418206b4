import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { committedIndex, hasQuorum, majority, voteResult } from '../../../src/raft/quorum.js'

describe('raft/quorum', () => {
  it('majority of n', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(majority), [0, 1, 2, 2, 3, 3, 4, 4])
  })

  it('committed index is the highest index a majority reached', () => {
    const matches = new Map([
      [1n, 10],
      [2n, 7],
      [3n, 3],
    ])
    assert.equal(
      committedIndex(matches.keys(), (id) => matches.get(id)),
      7,
    )
    assert.equal(
      committedIndex([1n, 2n, 3n, 4n], (id) => matches.get(id)),
      3,
      'an unknown voter has matched nothing',
    )
    assert.equal(
      committedIndex([], () => 5),
      0,
    )
  })

  it('committed index agrees with a brute-force definition', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(50), { minLength: 1, maxLength: 7 }), (ms) => {
        const ids = ms.map((_, i) => BigInt(i + 1))
        const got = committedIndex(ids, (id) => ms[Number(id) - 1])
        // The largest x such that at least a majority has match >= x.
        let want = 0
        for (const x of ms) if (ms.filter((m) => m >= x).length >= majority(ms.length)) want = Math.max(want, x)
        assert.equal(got, want)
      }),
    )
  })

  it('vote results: won, lost, pending', () => {
    const voters = [1n, 2n, 3n, 4n, 5n]
    const votes = (entries: Array<[bigint, boolean]>) => new Map(entries)
    assert.equal(
      voteResult(
        voters,
        votes([
          [1n, true],
          [2n, true],
        ]),
      ),
      'pending',
    )
    assert.equal(
      voteResult(
        voters,
        votes([
          [1n, true],
          [2n, true],
          [3n, true],
        ]),
      ),
      'won',
    )
    assert.equal(
      voteResult(
        voters,
        votes([
          [1n, false],
          [2n, false],
          [3n, false],
        ]),
      ),
      'lost',
    )
    assert.equal(
      voteResult(
        voters,
        votes([
          [1n, true],
          [2n, false],
          [3n, false],
          [4n, true],
        ]),
      ),
      'pending',
    )
    assert.equal(
      voteResult(
        voters,
        votes([
          [9n, true],
          [8n, true],
          [7n, true],
        ]),
      ),
      'pending',
      'non-voters do not count',
    )
    assert.equal(
      voteResult(
        [1n, 2n],
        votes([
          [1n, true],
          [2n, false],
        ]),
      ),
      'lost',
    )
  })

  it('hasQuorum counts active voters', () => {
    assert.equal(
      hasQuorum([1n, 2n, 3n], (id) => id !== 3n),
      true,
    )
    assert.equal(
      hasQuorum([1n, 2n, 3n], (id) => id === 1n),
      false,
    )
  })
})
