/**
 * Membership changes, one at a time. A ConfChange travels in the log as an
 * entry of type 'confChange' and takes effect when the application applies
 * it. `applyConfChangeTo` returns a new configuration and never mutates.
 */
import { ErrInvalidConfChange } from './errors.js'
import type { ConfState, NodeId } from './types.js'

export type ConfChangeType = 'addNode' | 'removeNode' | 'addLearner' | 'promoteLearner' | 'updateNode'

export interface ConfChange {
  type: ConfChangeType
  nodeId: NodeId
  context?: Uint8Array
}

/** Voters and learners; the two sets never intersect. */
export interface MembershipConfig {
  readonly voters: ReadonlySet<NodeId>
  readonly learners: ReadonlySet<NodeId>
}

export const EMPTY_CONFIG: MembershipConfig = { voters: new Set(), learners: new Set() }

export function configFromConfState(cs: ConfState): MembershipConfig {
  const voters = new Set(cs.voters)
  const learners = new Set(cs.learners.filter((id) => !voters.has(id)))
  return { voters, learners }
}

export function confStateOf(cfg: MembershipConfig): ConfState {
  const sort = (s: ReadonlySet<NodeId>) => [...s].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return { voters: sort(cfg.voters), learners: sort(cfg.learners) }
}

/**
 * The configuration after `cc`. Adding a voter that is a learner promotes it
 * ('promoteLearner' is the same change, but insists the node is a learner).
 * Throws ErrInvalidConfChange for changes that cannot apply: demoting a voter,
 * promoting a non-learner, removing the last voter, or node id 0. 'updateNode'
 * leaves the configuration as it is.
 */
export function applyConfChangeTo(cfg: MembershipConfig, cc: ConfChange): MembershipConfig {
  if (cc.nodeId === 0n) throw new ErrInvalidConfChange('raft: conf change for node id 0')
  const voters = new Set(cfg.voters)
  const learners = new Set(cfg.learners)
  switch (cc.type) {
    case 'addNode':
      learners.delete(cc.nodeId)
      voters.add(cc.nodeId)
      break
    case 'promoteLearner':
      if (!learners.has(cc.nodeId)) throw new ErrInvalidConfChange(`raft: node ${cc.nodeId} is not a learner`)
      learners.delete(cc.nodeId)
      voters.add(cc.nodeId)
      break
    case 'addLearner':
      if (voters.has(cc.nodeId)) throw new ErrInvalidConfChange(`raft: node ${cc.nodeId} is a voter, cannot demote`)
      learners.add(cc.nodeId)
      break
    case 'removeNode':
      voters.delete(cc.nodeId)
      learners.delete(cc.nodeId)
      if (voters.size === 0 && cfg.voters.size > 0) throw new ErrInvalidConfChange('raft: removing the last voter')
      break
    case 'updateNode':
      // Carries the application's news about a member (its context); the configuration stays.
      break
    default:
      throw new ErrInvalidConfChange(`raft: unknown conf change type ${String((cc as ConfChange).type)}`)
  }
  return { voters, learners }
}

const TYPE_CODES: readonly ConfChangeType[] = ['addNode', 'removeNode', 'addLearner', 'promoteLearner', 'updateNode']

/**
 * Wire format: 1 byte version (1), 1 byte type, 8 bytes node id (big-endian),
 * then the context bytes, if any.
 */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const ctx = cc.context ?? new Uint8Array(0)
  const out = new Uint8Array(10 + ctx.byteLength)
  const view = new DataView(out.buffer)
  out[0] = 1
  out[1] = TYPE_CODES.indexOf(cc.type)
  view.setBigUint64(2, cc.nodeId)
  out.set(ctx, 10)
  return out
}

export function decodeConfChange(buf: Uint8Array): ConfChange {
  if (buf.byteLength < 10 || buf[0] !== 1) throw new ErrInvalidConfChange('raft: malformed conf change')
  const type = TYPE_CODES[buf[1]!]
  if (type === undefined) throw new ErrInvalidConfChange(`raft: unknown conf change type code ${buf[1]}`)
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const nodeId = view.getBigUint64(2)
  const cc: ConfChange = { type, nodeId }
  if (buf.byteLength > 10) cc.context = buf.slice(10)
  return cc
}
