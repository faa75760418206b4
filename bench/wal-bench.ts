/**
 * WAL micro-benchmark: saves/s and fdatasyncs/s with 256-byte entries for N concurrent
 * callers, each saving one entry (plus a hard state) and waiting for it before the next, as
 * raft loop turns would. Also measures the disk's own rate of write+fdatasync, the ceiling a
 * WAL without group commit would have.
 *
 *   npx tsc -p . && node dist/bench/wal-bench.js [--dir /path/on/the/disk] [--seconds 3]
 *                                                 [--callers 1,8,64,256] [--entry 256]
 *
 * Run it on the file system the WAL will live on: os.tmpdir() may be a tmpfs where fsync
 * costs nothing.
 */
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Wal } from '../src/server/wal/index.js'

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: os.tmpdir() },
    seconds: { type: 'string', default: '3' },
    callers: { type: 'string', default: '1,8,64,256' },
    entry: { type: 'string', default: '256' },
  },
})
const seconds = Number(values.seconds)
const entrySize = Number(values.entry)
const callerCounts = values.callers!.split(',').map(Number)

async function diskBaseline(dir: string): Promise<number> {
  const file = await fsp.open(path.join(dir, 'baseline'), 'w+')
  const buf = Buffer.alloc(entrySize + 64, 1)
  await file.write(Buffer.alloc(64 << 20), 0, 64 << 20, 0)
  await file.sync()
  let n = 0
  const t0 = performance.now()
  while (performance.now() - t0 < seconds * 1000) {
    await file.write(buf, 0, buf.length, n * buf.length)
    await file.datasync()
    n++
  }
  const rate = n / ((performance.now() - t0) / 1000)
  await file.close()
  return rate
}

interface Result {
  callers: number
  savesPerSec: number
  fsyncsPerSec: number
  perFsync: number
  p50: number
  p99: number
  mbPerSec: number
}

async function run(dir: string, callers: number): Promise<Result> {
  const walDir = path.join(dir, `wal-${callers}`)
  const wal = await Wal.create(walDir, new Uint8Array(16))
  const data = new Uint8Array(entrySize).fill(7)
  let index = 0
  let measuring = false
  let stop = false
  const latencies: number[] = []
  const caller = async () => {
    while (!stop) {
      const i = ++index
      const t = performance.now()
      await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [{ index: i, term: 1, type: 0, data }])
      if (measuring) latencies.push(performance.now() - t)
    }
  }
  const running = Array.from({ length: callers }, caller)
  await new Promise((resolve) => setTimeout(resolve, 1000)) // warm-up; lets the pipeline preallocate
  const s0 = { ...wal.stats }
  measuring = true
  const t0 = performance.now()
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  measuring = false
  const elapsed = (performance.now() - t0) / 1000
  const s1 = { ...wal.stats }
  stop = true
  await Promise.all(running)
  await wal.close()
  await fsp.rm(walDir, { recursive: true, force: true })
  latencies.sort((a, b) => a - b)
  const saves = latencies.length
  const fsyncs = s1.fsyncs - s0.fsyncs
  return {
    callers,
    savesPerSec: saves / elapsed,
    fsyncsPerSec: fsyncs / elapsed,
    perFsync: saves / Math.max(1, fsyncs),
    p50: latencies[Math.floor(saves * 0.5)] ?? 0,
    p99: latencies[Math.floor(saves * 0.99)] ?? 0,
    mbPerSec: (s1.bytes - s0.bytes) / elapsed / 1e6,
  }
}

const root = await fsp.mkdtemp(path.join(values.dir!, 'tsetcd-wal-bench-'))
try {
  const base = await diskBaseline(root)
  console.log(`dir ${root}, ${entrySize}-byte entries, ${seconds}s per run`)
  console.log(`disk: ${base.toFixed(0)} write+fdatasync/s (sequential, one writer)`)
  console.log('callers  saves/s  fsyncs/s  saves/fsync  p50 ms  p99 ms  MB/s')
  for (const c of callerCounts) {
    const r = await run(root, c)
    console.log(
      [
        String(r.callers).padStart(7),
        r.savesPerSec.toFixed(0).padStart(8),
        r.fsyncsPerSec.toFixed(0).padStart(9),
        r.perFsync.toFixed(1).padStart(12),
        r.p50.toFixed(2).padStart(7),
        r.p99.toFixed(2).padStart(7),
        r.mbPerSec.toFixed(1).padStart(5),
      ].join(' '),
    )
  }
} finally {
  await fsp.rm(root, { recursive: true, force: true })
}
