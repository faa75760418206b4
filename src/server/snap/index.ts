/** Raft snapshot files of a tsetcd member (format in format.ts). */
export type { ConfState, SnapshotMetadata, RaftSnapshot } from './types.js'
export { SnapshotFormatError } from './format.js'
export type { SnapshotFileInfo, SnapshotterOptions } from './snapshotter.js'
export { Snapshotter, snapshotName } from './snapshotter.js'
