/**
 * The sha256 trailer `etcdctl snapshot save` appends to a bbolt file. etcd decides that a file
 * has one when its size modulo 512 is 32 (clientv3/snapshot hasChecksum).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import { FileSource, type ByteSource } from './page-file.js'
import { SnapshotHashMismatchError } from './errors.js'

export const SHA256_SIZE = 32

export function hasChecksum(size: number): boolean {
  return size % 512 === SHA256_SIZE
}

/** The sha256 of the first `length` bytes of a source, read in chunks. */
export function sha256Of(src: ByteSource, length: number, chunk = 1 << 20): Buffer {
  const h = crypto.createHash('sha256')
  for (let off = 0; off < length; off += chunk) h.update(src.read(off, Math.min(chunk, length - off)))
  return h.digest()
}

/**
 * Checks the trailer of a source that has one: throws SnapshotHashMismatchError on a mismatch.
 * Returns the trailer.
 */
export function verifyTrailer(src: ByteSource): Buffer {
  const dataLen = src.size - SHA256_SIZE
  const expected = Buffer.from(src.read(dataLen, SHA256_SIZE))
  const actual = sha256Of(src, dataLen)
  if (!expected.equals(actual)) throw new SnapshotHashMismatchError(expected, actual)
  return expected
}

/** Appends the sha256 of the whole file to it, as etcd's snapshot stream ends. Returns the hash. */
export function appendTrailer(path: string): Buffer {
  const src = new FileSource(path)
  let sum: Buffer
  try {
    sum = sha256Of(src, src.size)
  } finally {
    src.close()
  }
  fs.appendFileSync(path, sum)
  return sum
}
