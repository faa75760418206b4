/**
 * Child process for the kill -9 test: appends to a WAL with many saves in flight and prints
 * "ack <index>" for every save that resolved (in order), until it is killed.
 *
 * Usage: node crash-child.js <wal-dir> <segment-size>
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

async function main(dir: string, segmentSize: number): Promise<void> {
  let wal: Wal
  let next: number
  if (await walExists(dir)) {
    const r = await Wal.open(dir, { index: 0, term: 0 }, { segmentSize })
    wal = r.wal
    next = (r.entries.at(-1)?.index ?? 0) + 1
  } else {
    wal = await Wal.create(dir, CRASH_META, { segmentSize })
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
        process.stdout.write(`ack ${last}\n`)
        issue()
      },
      (err: unknown) => {
        process.stderr.write(`save failed: ${String(err)}\n`)
        process.exit(2)
      },
    )
  }
  for (let i = 0; i < 16; i++) issue()
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  await main(process.argv[2]!, Number(process.argv[3]))
}
