/**
 * Online backups: a copy of the database taken while the member serves, read back in pieces
 * for Maintenance.Snapshot (each piece of the file read while the one before is sent).
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { revisionKey } from '../../../src/bbolt/index.js'
import { encodeKeyValue } from '../../../src/gen/mvccpb.js'
import type { Backend } from '../../../src/server/backend/backend.js'
import { Bucket, bucketKey } from '../../../src/server/backend/buckets.js'
import { RocksBackend } from '../../../src/server/backend/rocks-backend.js'
import { OnlineBackups } from '../../../src/server/backup/online.js'
import { backendToBolt } from '../../../src/server/backup/to-bolt.js'
import { silentLogger } from '../../../src/server/log.js'

/** `n` key records of `size`-byte values, written in batches of 1000. */
function load(b: Backend, n: number, size: number): void {
  for (let i = 0; i < n; i += 1000) {
    const wb = b.batch()
    for (let j = i; j < Math.min(n, i + 1000); j++)
      wb.put(
        bucketKey(Bucket.Key, revisionKey(j + 2, 0, false)),
        encodeKeyValue({ key: Buffer.from(`k${j}`), value: Buffer.alloc(size, j & 0xff), mod_revision: j + 2 }),
      )
    wb.write()
  }
}

async function sha(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex')
}

describe('backup: online copies', function () {
  this.timeout(60_000)
  let dir: string
  let b: RocksBackend
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsetcd-online-'))
    b = await RocksBackend.open(path.join(dir, 'rocks'))
  })
  afterEach(async () => {
    await b.close()
    await fs.rm(dir, { recursive: true, force: true })
  })

  /** The temporary copies in `dir`. */
  const temps = async () => (await fs.readdir(dir)).filter((n) => n.endsWith('.db.tmp'))

  it('hands out the copy’s bytes in order, in pieces of the size asked', async () => {
    load(b, 12_000, 300) // about 4 MB: several reads of the file
    const backups = new OnlineBackups(dir, () => b, silentLogger)
    const copy = await backups.take()
    const [name] = await temps()
    const want = await sha(path.join(dir, name!))
    const h = createHash('sha256')
    let total = 0
    for await (const piece of copy.chunks(32 * 1024)) {
      assert.ok(piece.length > 0 && piece.length <= 32 * 1024)
      h.update(piece)
      total += piece.length
    }
    assert.equal(total, copy.size)
    assert.equal(h.digest('hex'), want)
    await copy.close()
    assert.deepEqual(await temps(), [])
  })

  it('stops reading when the send stops, and the copy can be removed', async () => {
    load(b, 12_000, 300)
    const copy = await new OnlineBackups(dir, () => b, silentLogger).take()
    let pieces = 0
    for await (const _ of copy.chunks(32 * 1024)) if (++pieces === 3) break
    assert.equal(pieces, 3)
    // A stop by signal, with the next read under way.
    const ac = new AbortController()
    await assert.rejects(
      (async () => {
        for await (const _ of copy.chunks(1024 * 1024, ac.signal)) ac.abort(new Error('client gone'))
      })(),
      /client gone/,
    )
    await copy.close()
    assert.deepEqual(await temps(), [])
  })

  it('fails a copy that became shorter than it was written', async () => {
    load(b, 12_000, 300)
    const copy = await new OnlineBackups(dir, () => b, silentLogger).take()
    const [name] = await temps()
    await fs.truncate(path.join(dir, name!), copy.size - 4096)
    await assert.rejects(
      (async () => {
        for await (const _ of copy.chunks(32 * 1024));
      })(),
      /is shorter than/,
    )
    await copy.close()
  })

  it('stops a conversion under way, its next chunk being read, and ends its iteration', async () => {
    load(b, 20_000, 300) // many chunks of the backend's iteration
    let ended = false
    const watched = {
      async *iterate(...args: Parameters<Backend['iterate']>) {
        try {
          yield* b.iterate(...args)
        } finally {
          ended = true
        }
      },
    } as unknown as Backend
    const ac = new AbortController()
    let progress = 0
    await assert.rejects(
      backendToBolt(watched, path.join(dir, 'db'), {
        signal: ac.signal,
        progress: () => {
          if (++progress === 2) ac.abort(new Error('stopped'))
        },
      }),
      /stopped/,
    )
    assert.equal(progress, 2)
    assert.equal(ended, true, 'the iteration (and its RocksDB iterator) is closed when the conversion fails')
  })
})
