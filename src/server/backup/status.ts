/** `snapshot status`: etcd's status numbers of a snapshot or db file (bbolt's check first). */
import fs from 'node:fs'
import { snapshotStatusOfFile, type SnapshotStatus } from '../../bbolt/index.js'

export type { SnapshotStatus } from '../../bbolt/index.js'

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
}

/** A file system error as Go's os package words it: `stat s.db: no such file or directory`. */
export function goFileError(op: string, file: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException
  return new Error(`${op} ${file}: ${(e.code && ERRNO_TEXT[e.code]) || e.message}`)
}

/** The status `etcdctl snapshot status` prints for `file`; throws with etcd's messages. */
export function snapshotFileStatus(file: string): SnapshotStatus {
  let st: fs.Stats
  try {
    st = fs.statSync(file)
  } catch (err) {
    throw goFileError('stat', file, err)
  }
  if (st.isDirectory()) throw new Error(`read ${file}: is a directory`)
  return snapshotStatusOfFile(file)
}
