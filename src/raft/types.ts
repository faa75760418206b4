/**
 * Plain data exchanged between the Raft core, its storage and the outside
 * world. Everything here is serializable as-is: no classes, no methods.
 */

/** 64-bit member id. `NONE` (0n) means "no node". */
export type NodeId = bigint
export const NONE: NodeId = 0n

export type EntryType = 'normal' | 'confChange'

export interface Entry {
  term: number
  index: number
  type: EntryType
  data: Uint8Array
}

/** What must survive a crash besides the log. */
export interface HardState {
  term: number
  vote: NodeId
  commit: number
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: NONE, commit: 0 })

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit
}

/** Membership as of some log index. */
export interface ConfState {
  voters: NodeId[]
  learners: NodeId[]
}

export interface SnapshotMetadata {
  index: number
  term: number
  confState: ConfState
}

export interface Snapshot {
  metadata: SnapshotMetadata
  data: Uint8Array
}

export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader'

/** Volatile state worth telling the application about (not persisted). */
export interface SoftState {
  lead: NodeId
  role: Role
}

/** The answer to a ReadIndex request: reads at `index` or later are linearizable. */
export interface ReadState {
  index: number
  requestCtx: Uint8Array
}

export const MessageType = {
  MsgApp: 'MsgApp',
  MsgAppResp: 'MsgAppResp',
  MsgVote: 'MsgVote',
  MsgVoteResp: 'MsgVoteResp',
  MsgPreVote: 'MsgPreVote',
  MsgPreVoteResp: 'MsgPreVoteResp',
  MsgHeartbeat: 'MsgHeartbeat',
  MsgHeartbeatResp: 'MsgHeartbeatResp',
  MsgSnap: 'MsgSnap',
  MsgProp: 'MsgProp',
  MsgReadIndex: 'MsgReadIndex',
  MsgReadIndexResp: 'MsgReadIndexResp',
  MsgTimeoutNow: 'MsgTimeoutNow',
  MsgTransferLeader: 'MsgTransferLeader',
  MsgSnapStatus: 'MsgSnapStatus',
  MsgUnreachable: 'MsgUnreachable',
} as const
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

/**
 * One Raft message. Fields not meaningful for a type keep their zero value.
 * `index`/`logTerm` name the entry preceding `entries` (MsgApp), the
 * candidate's last entry (votes), the acknowledged index (MsgAppResp) or the
 * read index (MsgReadIndexResp). `context` carries a ReadIndex request
 * context, a heartbeat round, or the campaign-transfer marker on votes.
 */
export interface Message {
  type: MessageType
  to: NodeId
  from: NodeId
  term: number
  logTerm: number
  index: number
  entries: Entry[]
  commit: number
  reject: boolean
  rejectHint: number
  snapshot?: Snapshot
  context?: Uint8Array
}

/** Builds a message with zero values for every field not given. */
export function makeMessage(fields: Partial<Message> & { type: MessageType }): Message {
  return {
    to: NONE,
    from: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...fields,
  }
}

/** Messages that answer another message (ignored from unknown peers). */
export function isResponseMessage(t: MessageType): boolean {
  return (
    t === 'MsgAppResp' ||
    t === 'MsgVoteResp' ||
    t === 'MsgPreVoteResp' ||
    t === 'MsgHeartbeatResp' ||
    t === 'MsgReadIndexResp' ||
    t === 'MsgUnreachable' ||
    t === 'MsgSnapStatus'
  )
}

/** Approximate payload size of an entry, for batching limits. */
export function entrySize(e: Entry): number {
  return e.data.byteLength + 16
}
