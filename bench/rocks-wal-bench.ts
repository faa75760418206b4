/**
 * RocksDB write micro-benchmark: what a small apply batch costs the thread that writes it,
 * with RocksDB's own WAL records compressed with ZSTD (the binding's default) and without
 * (tsetcd's setting, src/server/backend/rocks-backend.ts). Each batch holds two puts, a
 * 256-byte value and a short one (as an apply batch with its consistent index), written
 * without sync with `_writeSync`, as the backend does on the event loop. Prints µs per batch
 * and the WAL's bytes per batch, alternating the two settings.
 *
 *   npx tsc -p . && node dist/bench/rocks-wal-bench.js [--batches 20000] [--rounds 3]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ROCKS_OPTIONS } from '../src/server/backend/rocks-backend.js'
import { RocksLevel } from '../src/server/backend/rocks-binding.js'

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
  },
})
const batches = Number(values.batches)
const rounds = Number(values.rounds)

// A JSON document padded to 256 bytes: compressible as real values are, unlike one repeated byte.
const value = Buffer.from(
  JSON.stringify({
    kind: 'Pod',
    metadata: { name: 'web-7d4b9c', namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] },
  }).padEnd(256, ' '),
)

function walBytes(dir: string): number {
  let n = 0
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.log')) n += fs.statSync(path.join(dir, f)).size
  return n
}

async function run(walCompression: boolean): Promise<{ us: number; walPerBatch: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsetcd-rocks-wal-'))
  try {
    const db = new RocksLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await db.open({ ...ROCKS_OPTIONS, walCompression })
    const meta = Buffer.from('meta/consistent_index')
    const started = process.hrtime.bigint()
    for (let i = 0; i < batches; i++) {
      const b = db.batch()
      b._put(Buffer.from(`key/${i}`), value, {})
      b._put(meta, Buffer.from(String(i)), {})
      b._writeSync({ sync: false })
      b.close().catch(() => {})
    }
    const us = Number(process.hrtime.bigint() - started) / 1000 / batches
    const walPerBatch = walBytes(dir) / batches
    await db.close()
    return { us, walPerBatch }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

for (let r = 1; r <= rounds; r++) {
  for (const walCompression of [true, false]) {
    const { us, walPerBatch } = await run(walCompression)
    console.log(
      `round ${r}  WAL ${walCompression ? 'ZSTD        ' : 'uncompressed'}  ${us.toFixed(2)} µs per batch  ${walPerBatch.toFixed(0)} WAL bytes per batch`,
    )
  }
}
