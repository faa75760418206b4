/** Segment file names: `%016x-%016x.wal` = (sequence, first index). */
import path from 'node:path'
import type { FileSystem } from './fs.js'
import { isErrno } from './fs.js'

export interface SegmentInfo {
  seq: number
  firstIndex: number
  name: string
}

const NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0')
}

export function segmentName(seq: number, firstIndex: number): string {
  return `${hex16(seq)}-${hex16(firstIndex)}.wal`
}

export function parseSegmentName(name: string): SegmentInfo | undefined {
  const m = NAME.exec(name)
  if (!m) return undefined
  const seq = Number.parseInt(m[1]!, 16)
  const firstIndex = Number.parseInt(m[2]!, 16)
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex)) return undefined
  return { seq, firstIndex, name }
}

/** The directory's segments, ordered by sequence; [] if the directory does not exist. */
export async function listSegments(fs: FileSystem, dir: string): Promise<SegmentInfo[]> {
  let names: string[]
  try {
    names = await fs.readdir(dir)
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return []
    throw err
  }
  const segs: SegmentInfo[] = []
  for (const n of names) {
    const s = parseSegmentName(n)
    if (s) segs.push(s)
  }
  return segs.sort((a, b) => a.seq - b.seq)
}

/** Position in `segs` of the last segment whose first index is <= index, or -1. */
export function segmentForIndex(segs: readonly SegmentInfo[], index: number): number {
  for (let i = segs.length - 1; i >= 0; i--) if (segs[i]!.firstIndex <= index) return i
  return -1
}

export function segmentPath(dir: string, s: SegmentInfo): string {
  return path.join(dir, s.name)
}

/** Suffix of files the pipeline prepares; left-overs from a crash are removed on open. */
export const TMP_SUFFIX = '.wal.tmp'
