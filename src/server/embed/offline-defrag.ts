/**
 * Offline defragmentation of a stopped member's data dir (etcdctl 3.4's `defrag --data-dir`):
 * the database at `<data-dir>/member/db` is rewritten compactly and swapped in, crash-safely.
 */
import { stat } from 'node:fs/promises'
import { RocksBackend } from '../backend/rocks-backend.js'

export async function defragDataDir(dataDir: string): Promise<void> {
  const dir = RocksBackend.dbDir(dataDir)
  // Not creating a database where there is none (RocksBackend.open would).
  await stat(dir).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
    // A defragmentation interrupted between its renames leaves no db/ but its copy.
    await stat(`${dir}.defrag-old`).catch(() => {
      throw new Error(`open ${dir}: no such file or directory`)
    })
  })
  const backend = await RocksBackend.open(dir)
  try {
    await backend.defrag()
  } finally {
    await backend.close()
  }
}
