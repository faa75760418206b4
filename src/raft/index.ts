/**
 * tsetcd's Raft consensus core: the algorithm only, with no I/O, clocks or
 * randomness of its own. Time is ticks; the election timeout's randomness
 * comes from the injected `random` function.
 *
 * The contract, one loop turn at a time:
 * 1. Feed inputs: `tick()` on every clock tick, `step(msg)` for each message
 *    from a peer, `propose()` / `proposeConfChange()` / `readIndex()` /
 *    `transferLeader()` / `campaign()` for local requests.
 * 2. If `hasReady()`, take `rd = ready()` and, in this order:
 *    a. send `rd.messages` (they may go out while the disk write runs);
 *    b. persist `rd.snapshot`, `rd.entries` and `rd.hardState` (atomically, fsynced);
 *    c. send `rd.messagesAfterPersist`;
 *    d. restore the state machine from `rd.snapshot` if any, then apply
 *       `rd.committedEntries` in order, calling `applyConfChange()` for each
 *       'confChange' entry; serve `rd.readStates` once applied >= their index;
 *    e. call `advance()`.
 * Nothing but the persisted log and hard state need survive a crash.
 */
export { RawNode, type Ready, type Status, type ProgressStatus, type SnapshotStatus } from './raw-node.js'
export { Raft, type RaftConfig } from './raft.js'
export { MemoryStorage, type Storage, type InitialState } from './storage.js'
export { bootstrapLog } from './bootstrap.js'
export {
  applyConfChangeTo,
  configFromConfState,
  confStateOf,
  decodeConfChange,
  encodeConfChange,
  type ConfChange,
  type ConfChangeType,
  type MembershipConfig,
} from './conf-change.js'
export {
  RaftError,
  ErrProposalDropped,
  ErrConfChangePending,
  ErrInvalidConfChange,
  ErrCompacted,
  ErrUnavailable,
  ErrSnapOutOfDate,
  ErrSnapshotTemporarilyUnavailable,
  ErrReadyContract,
  ErrInvalidMessage,
} from './errors.js'
export * from './types.js'
