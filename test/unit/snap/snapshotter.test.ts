import assert from 'node:assert/strict'
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { RaftSnapshot } from '../../../src/server/snap/index.js'
import { Snapshotter, SnapshotFormatError, snapshotName } from '../../../src/server/snap/index.js'
import { decodeSnapshotFile, encodeSnapshotFile } from '../../../src/server/snap/format.js'
import { Wal, walSnapshots } from '../../../src/server/wal/index.js'
import { InstrumentedFs, entry, removeDir, rng, tempDir } from '../wal/helpers.js'

function snap(
  index: number,
  term: number,
  data: Uint8Array,
  voters: bigint[] = [1n, 2n, 3n],
  learners: bigint[] = [],
): RaftSnapshot {
  return { metadata: { index, term, confState: { voters, learners } }, data }
}

/** What a load returns: the optional joint-consensus fields filled in. */
function loaded(s: RaftSnapshot): RaftSnapshot {
  const c = s.metadata.confState
  return {
    metadata: { ...s.metadata, confState: { votersOutgoing: [], learnersNext: [], autoLeave: false, ...c } },
    data: s.data,
  }
}

describe('snapshotter', () => {
  let dir: string
  let snapDir: string
  beforeEach(async () => {
    dir = await tempDir('tsetcd-snap-')
    snapDir = path.join(dir, 'member', 'snap')
  })
  afterEach(async () => removeDir(dir))

  it('round-trips the file format, including 64-bit IDs and joint configurations', () => {
    const r = rng(1)
    const s: RaftSnapshot = {
      metadata: {
        index: 2 ** 40 + 1,
        term: 77,
        confState: {
          voters: [0xffffffffffffffffn, 1n],
          learners: [0x694d7a5ab5fbac0bn],
          votersOutgoing: [5n],
          learnersNext: [6n],
          autoLeave: true,
        },
      },
      data: r.bytes(5000),
    }
    assert.deepEqual(decodeSnapshotFile(encodeSnapshotFile(s)), s)
  })

  it('detects any damaged byte and a cut file', () => {
    const r = rng(2)
    const buf = encodeSnapshotFile(snap(10, 2, r.bytes(64)))
    for (let i = 0; i < buf.length; i++) {
      const bad = Buffer.from(buf)
      bad[i] = bad[i]! ^ (1 + r.int(255))
      assert.throws(() => decodeSnapshotFile(bad), SnapshotFormatError, `byte ${i}`)
    }
    for (let n = 0; n < buf.length; n += 7)
      assert.throws(() => decodeSnapshotFile(buf.subarray(0, n)), SnapshotFormatError)
  })

  it('saves atomically under its (term, index) name with fsyncs, and loads it back', async () => {
    const fs = new InstrumentedFs()
    const ss = new Snapshotter(snapDir, { fs })
    const s = snap(1000, 3, new Uint8Array([1, 2, 3]), [1n, 2n], [9n])
    const file = await ss.save(s)
    assert.equal(file, path.join(snapDir, '0000000000000003-00000000000003e8.snap'))
    assert.equal(fs.syncs, 1, 'the file is fsynced')
    assert.deepEqual(
      fs.syncedDirs,
      [dir, path.join(dir, 'member'), snapDir],
      'new directories and the rename are made durable',
    )
    assert.deepEqual(await fsp.readdir(snapDir), [snapshotName(3, 1000)])
    assert.deepEqual(await new Snapshotter(snapDir).loadNewest(), loaded(s))
  })

  it('does not write an empty snapshot and loads nothing from an empty or missing directory', async () => {
    const ss = new Snapshotter(snapDir)
    assert.equal(await ss.loadNewest(), undefined)
    assert.equal(await ss.save(snap(0, 0, new Uint8Array())), undefined)
    assert.equal(await ss.loadNewest(), undefined)
  })

  it('loads the newest snapshot, or the newest one a filter accepts', async () => {
    const ss = new Snapshotter(snapDir)
    const r = rng(3)
    const all = [
      snap(10, 1, r.bytes(10)),
      snap(300, 2, r.bytes(10)),
      snap(25, 1, r.bytes(10)),
      snap(299, 2, r.bytes(10)),
    ]
    for (const s of all) await ss.save(s)
    assert.deepEqual(await ss.loadNewest(), loaded(all[1]!))
    const inWal = new Set(['10/1', '25/1'])
    assert.deepEqual(await ss.loadNewest((m) => inWal.has(`${m.index}/${m.term}`)), loaded(all[2]!))
    assert.deepEqual(
      (await ss.list()).map((i) => i.index),
      [300, 299, 25, 10],
    )
  })

  it('skips damaged snapshots, renaming them to .broken, and falls back to an older one', async () => {
    const broken: string[] = []
    const ss = new Snapshotter(snapDir, { onBroken: (f) => broken.push(path.basename(f)) })
    const r = rng(4)
    const old = snap(100, 1, r.bytes(100))
    await ss.save(old)
    const f2 = (await ss.save(snap(200, 1, r.bytes(100))))!
    const f3 = (await ss.save(snap(300, 1, r.bytes(100))))!
    const img = await fsp.readFile(f3)
    img[img.length - 3] ^= 0x10
    await fsp.writeFile(f3, img)
    await fsp.writeFile(f2, (await fsp.readFile(f2)).subarray(0, 50))
    assert.deepEqual(await ss.loadNewest(), loaded(old))
    assert.deepEqual(broken, [path.basename(f3), path.basename(f2)])
    assert.deepEqual(
      (await fsp.readdir(snapDir)).sort(),
      [snapshotName(1, 100), `${path.basename(f2)}.broken`, `${path.basename(f3)}.broken`].sort(),
    )
  })

  it('treats a file whose contents disagree with its name as damaged', async () => {
    const ss = new Snapshotter(snapDir)
    const f = (await ss.save(snap(50, 1, new Uint8Array([5]))))!
    await fsp.rename(f, path.join(snapDir, snapshotName(1, 60)))
    assert.equal(await ss.loadNewest(), undefined)
    assert.deepEqual(await fsp.readdir(snapDir), [`${snapshotName(1, 60)}.broken`])
  })

  it('purges all but the newest maxSnapshots, and 0 keeps all', async () => {
    const ss = new Snapshotter(snapDir)
    for (let i = 1; i <= 7; i++) await ss.save(snap(i * 10, 1 + (i >> 2), new Uint8Array([i])))
    assert.deepEqual(await ss.purge(0), [])
    const removed = await ss.purge(3)
    assert.deepEqual(removed.sort(), [10, 20, 30, 40].map((i) => snapshotName(1 + ((i / 10) >> 2), i)).sort())
    assert.deepEqual(
      (await ss.list()).map((i) => i.index),
      [70, 60, 50],
    )
  })

  it('removes temporary files left by an interrupted save, and never loads them', async () => {
    const ss = new Snapshotter(snapDir)
    await ss.save(snap(10, 1, new Uint8Array([1])))
    const tmp = path.join(snapDir, `${snapshotName(1, 20)}.tmp`)
    await fsp.writeFile(tmp, encodeSnapshotFile(snap(20, 1, new Uint8Array([2]))).subarray(0, 30))
    assert.equal((await ss.loadNewest())!.metadata.index, 10)
    assert.deepEqual(await ss.removeTemporaries(), [path.basename(tmp)])
    assert.deepEqual(await fsp.readdir(snapDir), [snapshotName(1, 10)])
  })

  describe('loadNewestAvailable: the newest snapshot the WAL has a marker for', () => {
    let walDir: string
    beforeEach(() => {
      walDir = path.join(dir, 'member', 'wal')
    })

    /** A WAL with entries 1..30 committed and markers at `marked`. */
    async function walWith(marked: number[]): Promise<void> {
      const wal = await Wal.create(walDir, new Uint8Array([1]), { segmentSize: 4096 })
      for (let i = 1; i <= 30; i++) {
        await wal.save({ term: 1, vote: 1n, commit: i }, [entry(i, 1, new Uint8Array([i]))])
        if (marked.includes(i)) await wal.saveSnapshot({ index: i, term: 1 }, { term: 1, vote: 1n, commit: i })
      }
      await wal.close()
    }

    it('skips a newer snapshot file whose marker was never written (a crash between the two)', async () => {
      await walWith([10])
      const ss = new Snapshotter(snapDir)
      const marked = snap(10, 1, new Uint8Array([10]))
      await ss.save(marked)
      await ss.save(snap(20, 1, new Uint8Array([20])))
      assert.deepEqual(await ss.loadNewestAvailable(await walSnapshots(walDir)), loaded(marked))
      assert.equal((await ss.list()).length, 2, 'the unmarked file is left alone')
    })

    it('loads nothing when no snapshot file has a marker', async () => {
      await walWith([])
      const ss = new Snapshotter(snapDir)
      await ss.save(snap(20, 1, new Uint8Array([20])))
      assert.equal(await ss.loadNewestAvailable(await walSnapshots(walDir)), undefined)
      assert.equal(await ss.loadNewestAvailable([]), undefined)
    })

    it('matches the term as well as the index', async () => {
      const ss = new Snapshotter(snapDir)
      const a = snap(10, 1, new Uint8Array([1]))
      await ss.save(a)
      await ss.save(snap(20, 2, new Uint8Array([2])))
      assert.deepEqual(
        await ss.loadNewestAvailable([
          { index: 10, term: 1 },
          { index: 20, term: 3 },
        ]),
        loaded(a),
      )
      assert.equal((await ss.loadNewestAvailable([{ index: 20, term: 2 }]))!.metadata.index, 20)
    })
  })
})
