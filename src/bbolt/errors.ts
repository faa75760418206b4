/** Errors of the bbolt reader and writer. */

/** The file is not a readable bbolt database (bad metas, torn file, bad page). */
export class BoltFormatError extends Error {
  override name = 'BoltFormatError'
}

/**
 * The sha256 trailer of a snapshot file does not match its contents. The message is the one
 * etcd prints for it (clientv3/snapshot saveDB): `expected sha256 [..], got [..]`.
 */
export class SnapshotHashMismatchError extends Error {
  override name = 'SnapshotHashMismatchError'
  constructor(
    readonly expected: Buffer,
    readonly actual: Buffer,
  ) {
    super(`expected sha256 ${goBytes(expected)}, got ${goBytes(actual)}`)
  }
}

/** A byte slice as Go's %v prints it: [1 2 3]. */
export function goBytes(b: Uint8Array): string {
  return `[${Array.from(b).join(' ')}]`
}
