/**
 * kill -9 at arbitrary moments: a child process appends with many saves in flight and prints
 * each save that resolved; after the kill, every acknowledged entry must be in the WAL.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Wal } from '../../../src/server/wal/index.js'
import { CRASH_META, crashData } from './crash-child.js'
import { removeDir, rng, tempDir } from './helpers.js'

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url))
const SEGMENT_SIZE = 16 * 1024

/** Runs the child until it has acknowledged `minAcks` saves, waits a little more, kills it. */
async function runAndKill(
  walDir: string,
  minAcks: number,
  extraMs: number,
): Promise<{ acked: number; killed: boolean }> {
  const child = spawn(process.execPath, [CHILD, walDir, String(SEGMENT_SIZE)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let acks = 0
  let killTimer: NodeJS.Timeout | undefined
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    acks = out.split('\n').filter((l) => l.startsWith('ack ')).length
    if (acks >= minAcks && killTimer === undefined) killTimer = setTimeout(() => child.kill('SIGKILL'), extraMs)
  })
  const guard = setTimeout(() => child.kill('SIGKILL'), 20000)
  const code = await exited
  clearTimeout(guard)
  // Let the pipe deliver what the child wrote before it died.
  await new Promise<void>((resolve) =>
    child.stdout.readableEnded ? resolve() : child.stdout.on('end', () => resolve()),
  )
  assert.equal(err, '', `child stderr: ${err}`)
  const lines = out.split('\n')
  // A line cut by the kill is not an acknowledgement.
  if (!out.endsWith('\n')) lines.pop()
  const acked = lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4)))
  for (let i = 1; i < acked.length; i++) assert.ok(acked[i]! > acked[i - 1]!, 'saves resolve in order')
  return { acked: acked.at(-1) ?? 0, killed: code === null }
}

describe('wal survives kill -9', function () {
  this.timeout(60000)
  let dir: string
  before(async () => {
    dir = await tempDir('tsetcd-wal-crash-')
  })
  after(async () => removeDir(dir))

  it('keeps every save the killed process saw resolve, across repeated crashes', async () => {
    const walDir = path.join(dir, 'wal')
    const r = rng(99)
    let everAcked = 0
    for (let round = 0; round < 5; round++) {
      const { acked, killed } = await runAndKill(walDir, 150, r.int(40))
      assert.ok(killed, 'the child was killed, it did not exit')
      everAcked = Math.max(everAcked, acked)
      const opened = await Wal.open(walDir, { index: 0, term: 0 }, { segmentSize: SEGMENT_SIZE })
      try {
        assert.deepEqual(opened.metadata, CRASH_META)
        assert.ok(
          opened.entries.length >= everAcked,
          `round ${round}: ${opened.entries.length} entries, ${everAcked} acknowledged`,
        )
        opened.entries.forEach((e, i) => {
          assert.equal(e.index, i + 1)
          assert.deepEqual(e.data, crashData(e.index))
        })
        assert.ok(opened.wal.segmentNames().length > 1, 'the run spans segment cuts')
      } finally {
        await opened.wal.close()
      }
    }
  })
})
