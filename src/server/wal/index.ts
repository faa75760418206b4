/**
 * The write-ahead log of a tsetcd member. Record format, segment files, torn-tail rule and
 * lock: see doc.ts.
 */
export type { HardState, EntryKind, WalEntry, WalSnapshot, RepairReport } from './types.js'
export { EMPTY_HARD_STATE } from './types.js'
export {
  WalError,
  WalCorruptError,
  WalLockedError,
  WalSnapshotNotFoundError,
  WalExistsError,
  WalNotFoundError,
  WalFailedError,
} from './errors.js'
export type { FileSystem, StoredFile } from './fs.js'
export { nodeFs, mkdirDurable } from './fs.js'
export type { WalContents } from './reader.js'
export type { WalOptions, WalStats, OpenedWal } from './wal.js'
export { Wal, walExists, readWal, walSnapshots, DEFAULT_SEGMENT_SIZE, type SnapshotChooser } from './wal.js'
