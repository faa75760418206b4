/**
 * Majority arithmetic over a set of voters: the index a quorum has reached,
 * and the outcome of an election.
 */
import type { NodeId } from './types.js'

export type VoteResult = 'won' | 'lost' | 'pending'

/** Smallest number of voters that forms a majority of `n` (0 for an empty set). */
export function majority(n: number): number {
  return n === 0 ? 0 : Math.floor(n / 2) + 1
}

/**
 * The largest index acknowledged by a majority of `voters`. Voters unknown to
 * `matchOf` count as having acknowledged nothing. An empty voter set commits
 * nothing (0).
 */
export function committedIndex(voters: Iterable<NodeId>, matchOf: (id: NodeId) => number | undefined): number {
  // Insertion sort, largest first, into a scratch array kept between calls: the leader asks
  // on every acknowledgement, so this allocates nothing.
  let n = 0
  for (const id of voters) {
    if (n === scratch.length) {
      const grown = new Float64Array(n * 2)
      grown.set(scratch)
      scratch = grown
    }
    const m = matchOf(id) ?? 0
    let j = n++
    while (j > 0 && scratch[j - 1] < m) {
      scratch[j] = scratch[j - 1]
      j--
    }
    scratch[j] = m
  }
  if (n === 0) return 0
  return scratch[majority(n) - 1]
}

let scratch = new Float64Array(8)

/** Outcome of a vote given the answers received so far (absent = not yet answered). */
export function voteResult(voters: Iterable<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let total = 0
  let granted = 0
  let rejected = 0
  for (const id of voters) {
    total++
    const v = votes.get(id)
    if (v === true) granted++
    else if (v === false) rejected++
  }
  if (total === 0) return 'won'
  const q = majority(total)
  if (granted >= q) return 'won'
  if (total - rejected < q) return 'lost'
  return 'pending'
}

/** Whether the members for which `active` holds form a majority of `voters`. */
export function hasQuorum(voters: Iterable<NodeId>, active: (id: NodeId) => boolean): boolean {
  let total = 0
  let yes = 0
  for (const id of voters) {
    total++
    if (active(id)) yes++
  }
  return yes >= majority(total)
}
