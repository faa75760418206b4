/** A raft snapshot as the snapshotter stores it; structurally compatible with the raft core's. */

export interface ConfState {
  voters: bigint[]
  learners: bigint[]
  /** Joint consensus: the outgoing voters while a configuration change is in progress. */
  votersOutgoing?: bigint[]
  learnersNext?: bigint[]
  autoLeave?: boolean
}

export interface SnapshotMetadata {
  index: number
  term: number
  confState: ConfState
}

export interface RaftSnapshot {
  metadata: SnapshotMetadata
  /** Opaque state machine data. */
  data: Uint8Array
}
