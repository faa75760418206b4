/**
 * The applied state as a raft snapshot body: every backend record, streamed as frames of
 * [u32 key length][key][u32 value length][value]. The sender reads one consistent view
 * of its RocksDB (a single iterator); the receiver writes the records into a staging
 * database next to the live one (`member/db.incoming`), which replaces the live one when
 * raft installs the snapshot:
 *
 *   db.incoming complete → rename db → db.old, db.incoming → db, fsync, remove db.old.
 *
 * `settleStagedDb` finishes or discards an interrupted swap at start-up.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Backend } from '../backend/backend.js'
import { RocksBackend } from '../backend/rocks-backend.js'

const ALL_FROM = Buffer.from([0x00])
const ALL_TO = Buffer.from([0xff, 0xff, 0xff, 0xff])
const FLUSH_BYTES = 1024 * 1024

export async function* backendBody(backend: Backend): AsyncIterable<Uint8Array> {
  let parts: Buffer[] = []
  let size = 0
  for await (const chunk of backend.iterate(ALL_FROM, ALL_TO, { chunkSize: 1000 })) {
    for (const [k, v] of chunk) {
      const head = Buffer.allocUnsafe(4)
      head.writeUInt32BE(k.length)
      const mid = Buffer.allocUnsafe(4)
      mid.writeUInt32BE(v.length)
      parts.push(head, k, mid, v)
      size += 8 + k.length + v.length
    }
    if (size >= FLUSH_BYTES) {
      yield Buffer.concat(parts, size)
      parts = []
      size = 0
    }
  }
  if (size > 0) yield Buffer.concat(parts, size)
}

/**
 * Starts the iteration at once so that the view is taken now, consistent with the applied
 * index the caller just read.
 */
export function snapshotBodyNow(backend: Backend): AsyncIterable<Uint8Array> {
  const it = backendBody(backend)[Symbol.asyncIterator]()
  const first = it.next()
  return {
    [Symbol.asyncIterator]() {
      let started = false
      return {
        next() {
          if (!started) {
            started = true
            return first
          }
          return it.next()
        },
        return(value?: unknown) {
          return it.return ? it.return(value) : Promise.resolve({ done: true, value: undefined })
        },
      }
    },
  }
}

export function stagingDir(dataDir: string): string {
  return path.join(dataDir, 'member', 'db.incoming')
}

/** Writes a received body into a fresh staging database. */
export async function stageSnapshot(dataDir: string, body: AsyncIterable<Uint8Array>): Promise<void> {
  const dir = stagingDir(dataDir)
  await fs.rm(dir, { recursive: true, force: true })
  const db = await RocksBackend.open(dir)
  try {
    let pending = Buffer.alloc(0)
    let batch = db.batch()
    for await (const chunk of body) {
      pending = pending.length ? Buffer.concat([pending, Buffer.from(chunk)]) : Buffer.from(chunk)
      let off = 0
      for (;;) {
        if (pending.length - off < 4) break
        const kl = pending.readUInt32BE(off)
        if (pending.length - off < 8 + kl) break
        const vl = pending.readUInt32BE(off + 4 + kl)
        if (pending.length - off < 8 + kl + vl) break
        batch.put(pending.subarray(off + 4, off + 4 + kl), pending.subarray(off + 8 + kl, off + 8 + kl + vl))
        off += 8 + kl + vl
        if (batch.length >= 1000) {
          batch.write()
          batch = db.batch()
        }
      }
      pending = pending.subarray(off)
    }
    if (pending.length !== 0) throw new Error(`snapshot body ends with ${pending.length} bytes of a partial record`)
    batch.write({ sync: true })
  } finally {
    await db.close()
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  )
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Replaces the live database with the staged one (the live one must be closed). */
export async function swapInStaged(dataDir: string): Promise<void> {
  const live = RocksBackend.dbDir(dataDir)
  const old = live + '.old'
  await fs.rm(old, { recursive: true, force: true })
  await fs.rename(live, old)
  await fs.rename(stagingDir(dataDir), live)
  await syncDir(path.dirname(live))
  await fs.rm(old, { recursive: true, force: true })
}

/** At start-up: finish a swap that was cut short, or drop an unused staging database. */
export async function settleStagedDb(dataDir: string): Promise<void> {
  const live = RocksBackend.dbDir(dataDir)
  const staged = stagingDir(dataDir)
  const old = live + '.old'
  if (!(await exists(live)) && (await exists(staged))) {
    await fs.rename(staged, live)
    await syncDir(path.dirname(live))
  }
  await fs.rm(staged, { recursive: true, force: true })
  await fs.rm(old, { recursive: true, force: true })
}
