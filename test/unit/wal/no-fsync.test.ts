/** --unsafe-no-fsync: every write still happens, only fsync and fdatasync are skipped. */
import assert from 'node:assert/strict'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { Snapshotter } from '../../../src/server/snap/index.js'
import type { WalEntry } from '../../../src/server/wal/index.js'
import { Wal, readWal } from '../../../src/server/wal/index.js'
import { InstrumentedFs, entry, removeDir, tempDir } from './helpers.js'

const META = new Uint8Array([5, 5])

describe('unsafeNoFsync', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => removeDir(dir))

  it('the WAL writes, cuts, reopens and repairs without a single fsync, and reads everything back', async () => {
    const fs = new InstrumentedFs()
    const walDir = path.join(dir, 'member', 'wal')
    const opts = { fs, segmentSize: 1024, unsafeNoFsync: true }
    const wal = await Wal.create(walDir, META, opts)
    const saved: WalEntry[] = []
    for (let i = 1; i <= 30; i++) {
      const e = entry(i, 1, new Uint8Array(100).fill(i))
      saved.push(e)
      await wal.save({ term: 1, vote: 0n, commit: i - 1 }, [e])
    }
    await wal.saveSnapshot({ index: 30, term: 1 }, { term: 1, vote: 0n, commit: 30 })
    assert.ok(wal.segmentNames().length > 3, 'cuts happened')
    assert.ok(fs.writes > 30, 'writes happen')
    assert.equal(wal.stats.fsyncs, 0)
    assert.equal(wal.stats.dirSyncs, 0)
    await wal.close()

    // A torn last write, to go through the repair too.
    const last = path.join(walDir, wal.segmentNames().at(-1)!)
    const img = await fsp.readFile(last)
    await fsp.writeFile(last, img.subarray(0, 40))
    const opened = await Wal.open(walDir, { index: 0, term: 0 }, opts)
    assert.ok(opened.repair, 'the cut write was repaired')
    await opened.wal.save(undefined, [entry(opened.lastIndex + 1, 1, new Uint8Array([1]))])
    await opened.wal.close()
    assert.deepEqual([fs.datasyncs, fs.syncs, fs.dirSyncs], [0, 0, 0], 'no fsync of any kind')

    const back = await readWal(walDir, { index: 0, term: 0 })
    const kept = back.entries.slice(0, -1)
    assert.ok(kept.length >= 20, `${kept.length} entries before the torn segment`)
    assert.deepEqual(kept, saved.slice(0, kept.length))
  })

  it('the snapshotter saves and loads without fsyncs', async () => {
    const fs = new InstrumentedFs()
    const s = new Snapshotter(path.join(dir, 'member', 'snap'), { fs, unsafeNoFsync: true })
    const snap = {
      metadata: { index: 7, term: 2, confState: { voters: [1n], learners: [] } },
      data: new Uint8Array([1, 2, 3]),
    }
    await s.save(snap)
    assert.deepEqual([fs.datasyncs, fs.syncs, fs.dirSyncs], [0, 0, 0])
    const loaded = await new Snapshotter(path.join(dir, 'member', 'snap')).loadNewest()
    assert.deepEqual(loaded?.data, snap.data)
    assert.equal(loaded?.metadata.index, 7)
  })

  it('without the option the same work fsyncs (the counter sees them)', async () => {
    const fs = new InstrumentedFs()
    const wal = await Wal.create(path.join(dir, 'wal'), META, { fs, segmentSize: 1024 })
    await wal.save(undefined, [entry(1, 1, new Uint8Array(8))])
    await wal.close()
    assert.ok(fs.datasyncs + fs.syncs > 0 && fs.dirSyncs > 0)
    assert.ok(wal.stats.fsyncs > 0)
  })
})
