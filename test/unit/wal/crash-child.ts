/**
 * Child process for the kill -9 test: appends to a WAL with `in-flight` saves in flight (16 by
 * default; with 1, each batch is one small save, which the WAL writes on the event loop) and
 * prints "ack <index> <writes made on the event loop so far>" for every save that resolved (in
 * order), until it is killed.
 *
 * Usage: node crash-child.js <wal-dir> <segment-size> [in-flight]
 */
import { Wal, walExists } from '../../../src/server/wal/index.js'
import type { WalEntry } from '../../../src/server/wal/index.js'

export const CRASH_META = new Uint8Array([0xc0, 0xff, 0xee])

/** Entry data the parent can recompute from the index. */
export function crashData(index: number): Uint8Array {
  const n = 1 + ((index * 7919) % 300)
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = (index + i * 31) & 0xff
  return b
}

async function main(dir: string, segmentSize: number, inFlight: number): Promise<void> {
  let wal: Wal
  let next: number
  // One save at a time: every small batch on the event loop, however slow the disk is today.
  const opts = { segmentSize, inline: inFlight === 1 ? { maxAverageMs: Infinity } : {} }
  if (await walExists(dir)) {
    const r = await Wal.open(dir, { index: 0, term: 0 }, opts)
    wal = r.wal
    next = (r.entries.at(-1)?.index ?? 0) + 1
  } else {
    wal = await Wal.create(dir, CRASH_META, opts)
    next = 1
  }
  process.stdout.write(`ready ${next}\n`)
  const issue = () => {
    const entries: WalEntry[] = []
    for (let k = 1 + (next % 3); k > 0; k--, next++)
      entries.push({ index: next, term: 1, type: 0, data: crashData(next) })
    const last = next - 1
    wal.save({ term: 1, vote: 1n, commit: last - 1 }, entries).then(
      () => {
        process.stdout.write(`ack ${last} ${wal.stats.inlineWrites}\n`)
        issue()
      },
      (err: unknown) => {
        process.stderr.write(`save failed: ${String(err)}\n`)
        process.exit(2)
      },
    )
  }
  for (let i = 0; i < inFlight; i++) issue()
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  await main(process.argv[2]!, Number(process.argv[3]), Number(process.argv[4] ?? 16))
}
