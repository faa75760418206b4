/**
 * The applied state as a raft snapshot body, and the database copies received with one.
 *
 * Body: every backend record, streamed as frames of [u32 key length][key][u32 value
 * length][value]. The sender reads one consistent view of its RocksDB (a single iterator),
 * taken at the applied index it names in the snapshot it sends (as etcd's merged snapshot
 * does), so the received database's consistent index is the snapshot's index.
 *
 * Received copies live next to the live database, named for the snapshot they belong to:
 *
 *   member/db                         the live database
 *   member/db.snap-<term>-<index>     a complete received copy (checked, fsynced)
 *   member/db.snap-….partial          a copy being received (removed at start-up)
 *   member/db.old                     the previous live database during a swap
 *
 * Order of an install (etcd's): the raft snapshot file and its WAL marker (with the hard
 * state) are made durable first, then the copy replaces the live database:
 *
 *   rename db → db.old, db.snap-T-I → db, fsync member/, remove db.old.
 *
 * A crash anywhere in it restarts: `settle()` puts `db.old` back when `db` is missing, and a
 * start-up that finds the database behind the snapshot the WAL names installs that
 * snapshot's copy. Receives and installs run one at a time.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Backend } from '../backend/backend.js'
import { RocksBackend } from '../backend/rocks-backend.js'
import { readMeta } from '../mvcc/meta.js'
import { nodeFs } from '../wal/fs.js'

const ALL_FROM = Buffer.from([0x00])
const ALL_TO = Buffer.from([0xff, 0xff, 0xff, 0xff])
const FLUSH_BYTES = 1024 * 1024
const STAGED = /^db\.snap-([0-9a-f]{16})-([0-9a-f]{16})(\.partial)?$/

export interface SnapshotId {
  term: number
  index: number
}

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

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0')
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  )
}

/** Writes a snapshot body into a fresh database at `dir` (made durable). */
async function writeBody(dir: string, body: AsyncIterable<Uint8Array>): Promise<void> {
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

/** The consistent index recorded in the database at `dir`. */
async function consistentIndexOf(dir: string): Promise<number> {
  const db = await RocksBackend.open(dir)
  try {
    return readMeta(db).consistentIndex
  } finally {
    await db.close()
  }
}

export class ReceivedSnapshots {
  private readonly memberDir: string
  private readonly live: string
  private tail: Promise<unknown> = Promise.resolve()

  constructor(dataDir: string) {
    this.live = RocksBackend.dbDir(dataDir)
    this.memberDir = path.dirname(this.live)
  }

  /** Where the copy received with snapshot `id` is kept. */
  stagedDir(id: SnapshotId): string {
    return path.join(this.memberDir, `db.snap-${hex16(id.term)}-${hex16(id.index)}`)
  }

  /** Runs `fn` after every receive and install queued before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn)
    this.tail = run.catch(() => undefined)
    return run
  }

  /**
   * Receives the body of snapshot `id` into its own copy, checks that the copy is at the
   * snapshot's index and makes it durable. Copies of snapshots at or below `floor` (the
   * applied index; raft would ignore them) are removed first.
   */
  stage(id: SnapshotId, body: AsyncIterable<Uint8Array>, floor: number): Promise<void> {
    return this.serial(async () => {
      await this.removeStaged((s) => s.index <= floor)
      const final = this.stagedDir(id)
      const partial = final + '.partial'
      await fs.rm(partial, { recursive: true, force: true })
      await writeBody(partial, body)
      const ci = await consistentIndexOf(partial)
      if (ci !== id.index) {
        await fs.rm(partial, { recursive: true, force: true })
        throw new Error(`received database is at applied index ${ci}, not at the snapshot's index ${id.index}`)
      }
      await fs.rm(final, { recursive: true, force: true })
      await fs.rename(partial, final)
      await nodeFs.syncDir(this.memberDir)
    })
  }

  /**
   * Replaces the live database (closed by the caller) with the copy received with snapshot
   * `id`, and removes every other copy at or below it.
   */
  install(id: SnapshotId): Promise<void> {
    return this.serial(async () => {
      const staged = this.stagedDir(id)
      if (!(await exists(staged)))
        throw new Error(`the database received with snapshot ${id.index} (term ${id.term}) is missing: ${staged}`)
      const old = this.live + '.old'
      await fs.rm(old, { recursive: true, force: true })
      if (await exists(this.live)) await fs.rename(this.live, old)
      await fs.rename(staged, this.live)
      await nodeFs.syncDir(this.memberDir)
      await fs.rm(old, { recursive: true, force: true })
      await this.removeStaged((s) => s.index <= id.index)
    })
  }

  /** Whether a complete copy for snapshot `id` is here. */
  has(id: SnapshotId): Promise<boolean> {
    return exists(this.stagedDir(id))
  }

  /**
   * At start-up, before the live database is opened: puts `db.old` back when a swap was cut
   * short before the new database was in place, and drops partial receives.
   */
  settle(): Promise<void> {
    return this.serial(async () => {
      const old = this.live + '.old'
      if (await exists(old)) {
        if (await exists(this.live)) await fs.rm(old, { recursive: true, force: true })
        else await fs.rename(old, this.live)
        await nodeFs.syncDir(this.memberDir)
      }
      await this.removeStaged((s) => s.partial)
      // A staging directory of older versions.
      await fs.rm(path.join(this.memberDir, 'db.incoming'), { recursive: true, force: true })
    })
  }

  /** Removes received copies other than the one of snapshot `keep` (none: all). */
  dropAllBut(keep?: SnapshotId): Promise<void> {
    return this.serial(() =>
      this.removeStaged((s) => keep === undefined || s.partial || s.index !== keep.index || s.term !== keep.term),
    )
  }

  private async removeStaged(which: (s: SnapshotId & { partial: boolean }) => boolean): Promise<void> {
    let names: string[]
    try {
      names = await fs.readdir(this.memberDir)
    } catch {
      return
    }
    for (const name of names) {
      const m = STAGED.exec(name)
      if (!m) continue
      const s = { term: Number.parseInt(m[1]!, 16), index: Number.parseInt(m[2]!, 16), partial: m[3] !== undefined }
      if (which(s)) await fs.rm(path.join(this.memberDir, name), { recursive: true, force: true })
    }
  }
}
