/** Test helpers for the WAL and snapshot suites: temp dirs, a seeded PRNG, an instrumented fs. */
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { FileSystem, StoredFile } from '../../../src/server/wal/fs.js'
import { nodeFs } from '../../../src/server/wal/fs.js'
import type { WalEntry } from '../../../src/server/wal/index.js'
import { Rng } from '../../helpers/rng.js'

export async function tempDir(prefix = 'tsetcd-wal-'): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix))
}

export async function removeDir(dir: string): Promise<void> {
  await fsp.rm(dir, { recursive: true, force: true })
}

/** The seeded PRNG of the WAL suites. */
export function rng(seed: number): Rng {
  return new Rng(seed)
}

export function entry(index: number, term: number, data: Uint8Array, type = 0): WalEntry {
  return { index, term, type, data }
}

/**
 * node:fs/promises with counters, an optional gate every fdatasync waits on, and failure
 * injection.
 */
export class InstrumentedFs implements FileSystem {
  datasyncs = 0
  syncs = 0
  dirSyncs = 0
  writes = 0
  /** Bytes read, by file (base name). */
  readBytes = new Map<string, number>()
  /** When set, every fdatasync waits for this promise first. */
  gate: Promise<void> | undefined
  /** When set, fdatasync fails with this error. */
  failDatasync: Error | undefined
  /** Resolvers of those waiting at the gate, to observe that a sync is in flight. */
  waitingAtGate = 0

  open = async (p: string, flags: string): Promise<StoredFile> => {
    const f = await nodeFs.open(p, flags)
    return {
      write: (b, o, l, pos) => {
        this.writes++
        return f.write(b, o, l, pos)
      },
      read: async (b, o, l, pos) => {
        const r = await f.read(b, o, l, pos)
        const name = path.basename(p)
        this.readBytes.set(name, (this.readBytes.get(name) ?? 0) + r.bytesRead)
        return r
      },
      datasync: async () => {
        this.datasyncs++
        if (this.gate) {
          this.waitingAtGate++
          await this.gate
          this.waitingAtGate--
        }
        if (this.failDatasync) throw this.failDatasync
        return f.datasync()
      },
      sync: () => {
        this.syncs++
        return f.sync()
      },
      truncate: (n) => f.truncate(n),
      stat: () => f.stat(),
      close: () => f.close(),
    }
  }
  readFile = nodeFs.readFile
  writeFile = nodeFs.writeFile
  readdir = nodeFs.readdir
  rename = nodeFs.rename
  link = nodeFs.link
  unlink = nodeFs.unlink
  mkdir = nodeFs.mkdir
  rmrf = nodeFs.rmrf
  /** Directories fsync'ed, in order. */
  syncedDirs: string[] = []
  syncDir = (p: string) => {
    this.dirSyncs++
    this.syncedDirs.push(p)
    return nodeFs.syncDir(p)
  }
}

export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
