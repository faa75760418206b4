/** A slow fdatasync is timed for the metrics and, past a second, logged as etcd logs it. */
import assert from 'node:assert/strict'
import path from 'node:path'
import { Wal } from '../../../src/server/wal/index.js'
import type { Logger } from '../../../src/server/log.js'
import { InstrumentedFs, entry, removeDir, tempDir } from './helpers.js'

function recordingLogger(lines: { msg: string; fields?: Record<string, unknown> }[]): Logger {
  const log: Logger = {
    debug() {},
    info() {},
    warn: (msg, fields) => lines.push({ msg, fields }),
    error() {},
    named: () => log,
  }
  return log
}

describe('WAL fdatasync timing', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => removeDir(dir))

  it('tells onSync every fdatasync, and warns "slow fdatasync" for one over a second only', async () => {
    const fs = new InstrumentedFs()
    const warnings: { msg: string; fields?: Record<string, unknown> }[] = []
    const wal = await Wal.create(path.join(dir, 'wal'), new Uint8Array([1]), { fs, logger: recordingLogger(warnings) })
    const syncs: number[] = []
    wal.onSync = (s) => syncs.push(s)
    await wal.save({ term: 1, vote: 0n, commit: 0 }, [entry(1, 1, new Uint8Array(8))])
    assert.equal(syncs.length, 1)
    assert.deepEqual(warnings, [])

    // The disk holds the next fdatasync for longer than a second.
    fs.gate = new Promise((resolve) => setTimeout(resolve, 1100))
    await wal.save({ term: 1, vote: 0n, commit: 1 }, [entry(2, 1, new Uint8Array(8))])
    fs.gate = undefined
    assert.equal(syncs.length, 2)
    assert.ok(syncs[1] >= 1.05, `took ${syncs[1]} s`)
    assert.equal(warnings.length, 1)
    const [slow] = warnings as { msg: string; fields?: Record<string, unknown> }[]
    assert.equal(slow.msg, 'slow fdatasync')
    assert.match(String(slow.fields?.took), /^1\.\d+s$/)
    assert.equal(slow.fields?.['expected-duration'], '1s')
    await wal.close()
  })
})
