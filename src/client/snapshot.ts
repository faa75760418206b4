/**
 * Saving a member's database (Maintenance.Snapshot) to a file, for `snapshot save` and for
 * programs; works against tsetcd and a real etcd.
 *
 * The stream is the database in pieces, then the sha256 of everything before it (etcd's
 * v3rpc Snapshot), so the file is the database followed by its 32-byte checksum, as
 * etcdctl writes it. It is written to `FILE.part` in the same directory, the checksum is
 * checked, the file is fsynced and renamed to FILE, and the directory is fsynced: FILE is
 * either absent (or as before) or complete. On any failure the partial file is removed.
 */
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { MaintenanceService } from '../gen/etcdserverpb.js'
import { ClientError, toClientError, type EtcdClient } from './client.js'
import type * as grpc from '@grpc/grpc-js'

export const SHA256_SIZE = 32
const WRITE_BYTES = 1024 * 1024

/** etcd decides that a snapshot file ends with a sha256 when its size modulo 512 is 32. */
export function hasChecksum(size: number): boolean {
  return size % 512 === SHA256_SIZE
}

export interface SaveOptions {
  /** Bounds the whole transfer (ms); undefined: no limit (etcdctl without --command-timeout). */
  timeoutMs?: number
  /** Called as bytes arrive (total so far). */
  progress?: (bytes: number) => void
}

export interface SavedSnapshot {
  path: string
  /** Bytes of the file, checksum included. */
  size: number
  sha256: Buffer
}

/** Go's text for the errno of a failed file operation, as os.PathError prints it. */
const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  ENOENT: 'no such file or directory',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'file exists',
  EIO: 'input/output error',
}

/** `op path: reason`, as Go's os.PathError reads. */
export function pathError(op: string, file: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException
  return `${op} ${file}: ${(e.code && ERRNO_TEXT[e.code]) ?? e.message}`
}

/** Buffers the stream's bytes into large writes, holding back the last 32 (the checksum). */
class Receiver {
  private parts: Buffer[] = []
  private bytes = 0
  private readonly hash = crypto.createHash('sha256')
  total = 0

  constructor(private readonly fh: fs.FileHandle) {}

  add(blob: Buffer): Promise<void> | undefined {
    this.parts.push(blob)
    this.bytes += blob.length
    this.total += blob.length
    return this.bytes >= WRITE_BYTES ? this.write(SHA256_SIZE) : undefined
  }

  /** Writes all but the last `keep` bytes held (hashing them, unless told not to). */
  async write(keep: number, hash = true): Promise<void> {
    const all = Buffer.concat(this.parts, this.bytes)
    const out = all.subarray(0, Math.max(0, all.length - keep))
    this.parts = out.length < all.length ? [all.subarray(out.length)] : []
    this.bytes = all.length - out.length
    if (hash) this.hash.update(out)
    let done = 0
    while (done < out.length) done += (await this.fh.write(out, done, out.length - done)).bytesWritten
  }

  /** Writes the rest; returns the checksum received and the one computed. */
  async finish(): Promise<{ received: Buffer; computed: Buffer }> {
    await this.write(SHA256_SIZE)
    const received = Buffer.concat(this.parts, this.bytes)
    const computed = this.hash.digest()
    await this.write(0, false)
    return { received, computed }
  }
}

async function receive(
  stream: grpc.ClientReadableStream<{ blob: Buffer }>,
  rx: Receiver,
  client: EtcdClient,
  opts: SaveOptions,
): Promise<void> {
  try {
    for await (const msg of stream as AsyncIterable<{ blob: Buffer }>) {
      const w = rx.add(msg.blob)
      if (w) await w
      opts.progress?.(rx.total)
    }
  } catch (err) {
    const e = err as grpc.ServiceError
    throw typeof e.code === 'number' ? toClientError(e, client.tlsReason) : err
  }
}

/**
 * Saves the snapshot of the client's (single) endpoint to `file`. Throws ClientError for
 * what the server or the connection did, Error with etcdctl's message for the rest.
 */
export async function saveSnapshot(client: EtcdClient, file: string, opts: SaveOptions = {}): Promise<SavedSnapshot> {
  const part = `${file}.part`
  let fh: fs.FileHandle | undefined
  try {
    try {
      fh = await fs.open(part, 'w', 0o600)
    } catch (err) {
      throw new Error(`could not open ${part} (${pathError('open', part, err)})`, { cause: err })
    }
    const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs
    const stream = client.serverStream(MaintenanceService.Snapshot, {}, deadline)
    const rx = new Receiver(fh)
    try {
      await receive(stream, rx, client, opts)
    } finally {
      stream.cancel()
    }
    if (!hasChecksum(rx.total)) throw new Error(`sha256 checksum not found [bytes: ${rx.total}]`)
    const { received, computed } = await rx.finish()
    if (!received.equals(computed))
      throw new Error(`sha256 checksum mismatch: expected ${received.toString('hex')}, got ${computed.toString('hex')}`)
    await fh.sync()
    await fh.close()
    fh = undefined
    try {
      await fs.rename(part, file)
    } catch (err) {
      throw new Error(`could not rename ${part} to ${file} (${pathError('rename', part, err)})`, {
        cause: err,
      })
    }
    await syncDir(path.dirname(path.resolve(file)))
    return { path: file, size: rx.total, sha256: received }
  } catch (err) {
    await fh?.close().catch(() => {})
    await fs.rm(part, { force: true }).catch(() => {})
    if (err instanceof ClientError) throw err
    const e = err as NodeJS.ErrnoException
    if (e.code && e.syscall) throw new Error(pathError(e.syscall, part, err), { cause: err })
    throw err
  }
}

/** fsyncs a directory, so that a rename or unlink in it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const d = await fs.open(dir, 'r')
  try {
    await d.sync()
  } finally {
    await d.close()
  }
}

/** Checks that a snapshot file ends with the sha256 of the rest (read in chunks). */
export async function verifySnapshotFile(file: string): Promise<boolean> {
  const fh = await fs.open(file, 'r')
  try {
    const { size } = await fh.stat()
    if (!hasChecksum(size)) return false
    const h = crypto.createHash('sha256')
    const buf = Buffer.allocUnsafe(WRITE_BYTES)
    const end = size - SHA256_SIZE
    for (let pos = 0; pos < end;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos)
      if (bytesRead === 0) return false
      h.update(buf.subarray(0, bytesRead))
      pos += bytesRead
    }
    const sum = Buffer.alloc(SHA256_SIZE)
    await fh.read(sum, 0, SHA256_SIZE, end)
    return sum.equals(h.digest())
  } finally {
    await fh.close()
  }
}
