/**
 * Small batches written on the event loop (inline-policy.ts): durable when save() resolves, as
 * through the thread pool; large ones, and any while the disk is slow, go to the pool; a failed
 * inline write fails the WAL.
 */
import assert from 'node:assert/strict'
import { InlinePolicy } from '../../../src/server/wal/inline-policy.js'
import { Wal, WalFailedError, readWal } from '../../../src/server/wal/index.js'
import { InstrumentedFs, entry, useWalDir } from './helpers.js'

const META = new Uint8Array([7])

describe('InlinePolicy', () => {
  it('allows batches up to maxBytes while recent writes average under maxAverageMs', () => {
    const p = new InlinePolicy({ maxBytes: 100, maxAverageMs: 1 })
    assert.ok(p.allows(100))
    assert.ok(!p.allows(101))
    p.record(0.2)
    assert.ok(p.allows(1))
  })

  it('stops after one slow write and allows again once fast writes bring the average down', () => {
    const p = new InlinePolicy({ maxAverageMs: 1 })
    for (let i = 0; i < 20; i++) p.record(0.1)
    p.record(10) // the disk stalled once: average 0.08 + 1.98
    assert.ok(!p.allows(10))
    let fast = 0
    while (!p.allows(10)) {
      p.record(0.1)
      fast++
    }
    // 2.06 ms decays by a fifth per write towards 0.1: under 1 ms after 4 writes.
    assert.equal(fast, 4)
  })

  it('never allows while every write is slow', () => {
    const p = new InlinePolicy({ maxAverageMs: 1 })
    for (let i = 0; i < 100; i++) {
      p.record(1.5)
      if (i > 10) assert.ok(!p.allows(10), `write ${i}`)
    }
  })

  it('defaults to 4 KiB and 1 ms', () => {
    const p = new InlinePolicy()
    assert.ok(p.allows(4096) && !p.allows(4097))
    p.record(5) // average 1 ms
    assert.ok(!p.allows(1))
  })
})

describe('wal inline writes', function () {
  const at = useWalDir()

  /**
   * A WAL whose files write durably in one call; its first write (to a fresh segment) is done.
   * Unless `maxAverageMs` is given, small writes go inline however slow this machine's disk is.
   */
  async function walWithDurableWrites(fs: InstrumentedFs, maxAverageMs = Infinity): Promise<Wal> {
    fs.durableWrites = true
    const wal = await Wal.create(at.walDir, META, { fs, segmentSize: 1 << 20, inline: { maxAverageMs } })
    await wal.save({ term: 1, vote: 1n, commit: 0 }, [entry(1, 1, new Uint8Array(8))])
    return wal
  }

  it('writes a lone small save before flush() returns, and reads it back after a reopen', async () => {
    const fs = new InstrumentedFs()
    const wal = await walWithDurableWrites(fs)
    assert.equal(wal.stats.inlineWrites, 0, "a fresh segment's first write goes to the thread pool")
    for (let i = 2; i <= 50; i++) {
      const saved = wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, new Uint8Array(200).fill(i))])
      wal.flush()
      assert.equal(fs.writesNow, i - 1, `save ${i} is written when flush() returns`)
      await saved
    }
    assert.equal(wal.stats.inlineWrites, 49)
    assert.equal(wal.stats.writes, 50)
    assert.equal(fs.writesDurable, 1, 'only the first write went to the thread pool')
    await wal.close()
    const r = await readWal(at.walDir, { index: 0, term: 0 })
    assert.equal(r.entries.length, 50)
    assert.deepEqual(r.entries[49]!.data, new Uint8Array(200).fill(50))
    assert.equal(r.hardState.commit, 49)
  })

  it('sends a batch over 4 KiB to the thread pool', async () => {
    const fs = new InstrumentedFs()
    const wal = await walWithDurableWrites(fs)
    await wal.save(undefined, [entry(2, 1, new Uint8Array(4096))])
    await wal.save(undefined, [entry(3, 1, new Uint8Array(100))])
    assert.equal(wal.stats.inlineWrites, 1)
    assert.equal(fs.writesNow, 1)
    await wal.close()
    assert.equal((await readWal(at.walDir, { index: 0, term: 0 })).entries.length, 3)
  })

  it('sends the writes after a slow inline write to the thread pool', async () => {
    const fs = new InstrumentedFs()
    const wal = await walWithDurableWrites(fs, 50)
    await wal.save(undefined, [entry(2, 1, new Uint8Array(10))])
    assert.equal(wal.stats.inlineWrites, 1)
    fs.writeNowDelayMs = 300 // the average is now at least 60 ms
    await wal.save(undefined, [entry(3, 1, new Uint8Array(10))])
    fs.writeNowDelayMs = 0
    assert.equal(wal.stats.inlineWrites, 2)
    await wal.save(undefined, [entry(4, 1, new Uint8Array(10))])
    assert.equal(wal.stats.inlineWrites, 2, 'the next write went to the thread pool')
    assert.equal(wal.stats.writes, 4)
    await wal.close()
    assert.equal((await readWal(at.walDir, { index: 0, term: 0 })).entries.length, 4)
  })

  it('fails the save whose inline write fails, and every later save', async () => {
    const fs = new InstrumentedFs()
    const wal = await walWithDurableWrites(fs)
    fs.failWriteNow = Object.assign(new Error('EIO: injected'), { code: 'EIO' })
    await assert.rejects(wal.save(undefined, [entry(2, 1, new Uint8Array(10))]), WalFailedError)
    fs.failWriteNow = undefined
    await assert.rejects(wal.save(undefined, [entry(3, 1, new Uint8Array(10))]), WalFailedError)
    await wal.close()
    assert.equal((await readWal(at.walDir, { index: 0, term: 0 })).entries.length, 1)
  })
})
