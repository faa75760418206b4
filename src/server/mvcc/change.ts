/** What a write transaction did, for watchers and the lessor. */
import type { KeyValue } from '../../gen/mvccpb.js'

export interface Change {
  /** Event_EventType.PUT or Event_EventType.DELETE. */
  type: number
  /** The new KeyValue; for a delete, the key and mod_revision only (what watchers are sent). */
  kv: KeyValue
  /** Revision the key had just before this change; prevMain 0 when it did not exist. */
  prevMain: number
  prevSub: number
  /** Lease the key was attached to just before this change (0n for none). */
  prevLease: bigint
  /** The previous KeyValue when it was read anyway; otherwise see MvccStore.prevKv(). */
  prev?: KeyValue
}

export interface TxnResult {
  /** Store revision after the transaction (unchanged if it changed nothing). */
  revision: number
  changes: Change[]
}
