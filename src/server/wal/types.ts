/** Plain data the WAL stores and returns; structurally compatible with the raft core's types. */

/** Raft hard state: current term, vote (64-bit member ID, 0n = none), commit index. */
export interface HardState {
  term: number
  vote: bigint
  commit: number
}

/** Entry type as stored: 0 normal, 1 conf change. The names are accepted on input too. */
export type EntryKind = number | 'normal' | 'confChange'

/** A raft log entry. `type` is returned as a number (0 normal, 1 conf change). */
export interface WalEntry {
  term: number
  index: number
  type: EntryKind
  data: Uint8Array
}

/** A snapshot marker: a raft snapshot was taken (or installed) at this index and term. */
export interface WalSnapshot {
  index: number
  term: number
}

/** What opening a WAL discarded from a torn tail (for the server to log). */
export interface RepairReport {
  file: string
  /** Offset of the first discarded byte: the start of the damaged write. */
  offset: number
  /** Where the damage was found (>= offset). */
  detectedAt: number
  /** Bytes zeroed: from `offset` to the last non-zero byte of the file. */
  discardedBytes: number
  reason: string
}

export const EMPTY_HARD_STATE: Readonly<HardState> = Object.freeze({ term: 0, vote: 0n, commit: 0 })
