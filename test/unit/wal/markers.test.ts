/**
 * Snapshot markers as start-up uses them: which markers the WAL holds (walSnapshots), a marker
 * saved together with the hard state, and the index the WAL ends at.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import fsp from 'node:fs/promises'
import { Wal, WalCorruptError, readWal, walSnapshots, type WalSnapshot } from '../../../src/server/wal/index.js'
import { decodeBatch, readFrame } from '../../../src/server/wal/decoder.js'
import { RecordType } from '../../../src/server/wal/record.js'
import { InstrumentedFs, entry, removeDir, tempDir } from './helpers.js'

const META = new Uint8Array([9, 9])
const data = (i: number) => new Uint8Array(100).fill(i & 0xff)

describe('wal snapshot markers for start-up', () => {
  let dir: string
  let walDir: string
  beforeEach(async () => {
    dir = await tempDir()
    walDir = path.join(dir, 'wal')
  })
  afterEach(async () => removeDir(dir))

  describe('walSnapshots', () => {
    it('reads the markers of the segments left after a purge', async () => {
      const wal = await Wal.create(walDir, META, { segmentSize: 1024 })
      for (let i = 1; i <= 60; i++) {
        await wal.save({ term: 1, vote: 1n, commit: i }, [entry(i, 1, data(i))])
        if (i % 20 === 0) await wal.saveSnapshot({ index: i, term: 1 })
      }
      wal.releaseTo(40)
      assert.ok((await wal.purge(1)).length > 0)
      await wal.close()
      // The marker at 20 went with the purged segments; 40 and 60 remain.
      assert.deepEqual(await walSnapshots(walDir), [
        { index: 40, term: 1 },
        { index: 60, term: 1 },
      ])
    })

    it('reads a log that starts from an installed snapshot', async () => {
      const wal = await Wal.create(walDir, META, { segmentSize: 1024 })
      await wal.saveSnapshot({ index: 100, term: 3 }, { term: 3, vote: 2n, commit: 100 })
      for (let i = 101; i <= 130; i++) await wal.save({ term: 3, vote: 2n, commit: i }, [entry(i, 3, data(i))])
      await wal.saveSnapshot({ index: 125, term: 3 })
      await wal.close()
      assert.deepEqual(await walSnapshots(walDir), [
        { index: 100, term: 3 },
        { index: 125, term: 3 },
      ])
      const r = await readWal(walDir, { index: 125, term: 3 })
      assert.deepEqual(
        r.entries.map((e) => e.index),
        [126, 127, 128, 129, 130],
      )
    })

    it('leaves out markers above the last saved commit index', async () => {
      const wal = await Wal.create(walDir, META, { segmentSize: 4096 })
      for (let i = 1; i <= 10; i++)
        await wal.save({ term: 1, vote: 1n, commit: Math.max(0, i - 5) }, [entry(i, 1, data(i))])
      await wal.saveSnapshot({ index: 5, term: 1 })
      await wal.saveSnapshot({ index: 8, term: 1 })
      await wal.close()
      assert.deepEqual(await walSnapshots(walDir), [{ index: 5, term: 1 }])
    })
  })

  describe('saveSnapshot with the hard state', () => {
    it('makes the marker and the hard state durable in one write', async () => {
      const fs = new InstrumentedFs()
      const wal = await Wal.create(walDir, META, { fs, segmentSize: 4096 })
      for (let i = 1; i <= 10; i++) await wal.save({ term: 1, vote: 1n, commit: 2 }, [entry(i, 1, data(i))])
      const writes = wal.stats.writes
      const syncs = fs.datasyncs
      await wal.saveSnapshot({ index: 10, term: 1 }, { term: 2, vote: 3n, commit: 10 })
      assert.equal(wal.stats.writes, writes + 1, 'one write')
      assert.equal(fs.datasyncs, syncs + 1, 'one fdatasync')
      await wal.close()
      const r = await Wal.open(walDir, { index: 10, term: 1 })
      assert.deepEqual(r.hardState, { term: 2, vote: 3n, commit: 10 })
      assert.ok(r.hardState.commit >= 10)
      await r.wal.close()
      assert.deepEqual(await walSnapshots(walDir), [{ index: 10, term: 1 }])
    })

    it('refuses a hard state whose commit is below the marker, writing nothing', async () => {
      const wal = await Wal.create(walDir, META, { segmentSize: 4096 })
      await wal.save({ term: 1, vote: 1n, commit: 3 }, [
        entry(1, 1, data(1)),
        entry(2, 1, data(2)),
        entry(3, 1, data(3)),
      ])
      const writes = wal.stats.writes
      await assert.rejects(wal.saveSnapshot({ index: 3, term: 1 }, { term: 1, vote: 1n, commit: 2 }), RangeError)
      await wal.save(undefined, [])
      assert.equal(wal.stats.writes, writes)
      await wal.close()
      assert.deepEqual((await readWal(walDir, { index: 0, term: 0 })).snapshots, [])
    })
  })

  describe('lastIndex', () => {
    it('is the index of the last entry, or of a snapshot marker after it', async () => {
      const wal = await Wal.create(walDir, META, { segmentSize: 1024 })
      await wal.close()
      let r = await Wal.open(walDir, { index: 0, term: 0 }, { segmentSize: 1024 })
      assert.equal(r.lastIndex, 0, 'a new WAL')
      for (let i = 1; i <= 20; i++) await r.wal.save({ term: 1, vote: 0n, commit: i - 1 }, [entry(i, 1, data(i))])
      await r.wal.close()
      r = await Wal.open(walDir, { index: 0, term: 0 }, { segmentSize: 1024 })
      assert.equal(r.lastIndex, 20, 'the last entry, across segments')
      // A new leader overwrites the tail from index 15.
      await r.wal.save({ term: 2, vote: 0n, commit: 14 }, [entry(15, 2, data(15))])
      await r.wal.close()
      r = await Wal.open(walDir, { index: 0, term: 0 }, { segmentSize: 1024 })
      assert.equal(r.lastIndex, 15, 'the overwriting entry')
      assert.equal((await readWal(walDir, { index: 0, term: 0 })).lastIndex, 15)
      // A snapshot installed past the end of the log.
      await r.wal.saveSnapshot({ index: 50, term: 3 }, { term: 3, vote: 0n, commit: 50 })
      await r.wal.close()
      r = await Wal.open(walDir, { index: 50, term: 3 }, { segmentSize: 1024 })
      assert.equal(r.lastIndex, 50, 'the marker after the last entry')
      assert.deepEqual(r.entries, [])
      await r.wal.close()
    })
  })

  describe('open at a snapshot chosen from the markers', () => {
    /** A WAL of several segments with markers at 20, 40 and 60, committed to 65. */
    async function withMarkers(): Promise<void> {
      const wal = await Wal.create(walDir, META, { segmentSize: 1024 })
      for (let i = 1; i <= 70; i++) {
        await wal.save({ term: 1, vote: 1n, commit: Math.min(i, 65) }, [entry(i, 1, data(i))])
        if (i % 20 === 0) await wal.saveSnapshot({ index: i, term: 1 })
      }
      await wal.close()
    }

    it('offers the markers walSnapshots lists and reads as an open at the chosen one would', async () => {
      await withMarkers()
      const markers = await walSnapshots(walDir)
      assert.equal(markers.length, 3)
      for (const chosen of [{ index: 0, term: 0 }, ...markers]) {
        const plain = await Wal.open(walDir, chosen, { segmentSize: 1024 })
        await plain.wal.close()
        let offered: WalSnapshot[] | undefined
        const r = await Wal.open(
          walDir,
          async (m) => {
            offered = m
            return chosen
          },
          { segmentSize: 1024 },
        )
        assert.deepEqual(offered, markers)
        const { wal: _w1, ...gotContents } = r
        const { wal: _w2, ...wantContents } = plain
        assert.deepEqual(gotContents, wantContents, `at ${chosen.index}`)
        assert.equal(r.entries[0]?.index, chosen.index + 1)
        // Appending resumes where it would have: the next entry lands after the last.
        await r.wal.save({ term: 1, vote: 1n, commit: 65 }, [entry(71, 1, data(71))])
        await r.wal.close()
        const again = await readWal(walDir, chosen)
        assert.equal(again.lastIndex, 71)
        assert.deepEqual(again.entries.at(-1)?.data, data(71))
        // Back to the WAL as it was, for the next choice.
        await rewrite(70)
      }
    })

    /** Drops entries after `last` by opening at 0 and overwriting the tail from `last`. */
    async function rewrite(last: number): Promise<void> {
      const r = await Wal.open(walDir, { index: 0, term: 0 }, { segmentSize: 1024 })
      await r.wal.save({ term: 1, vote: 1n, commit: 65 }, [entry(last, 1, data(last))])
      await r.wal.close()
    }

    it('reads each segment once', async () => {
      await withMarkers()
      const fs = new InstrumentedFs()
      const r = await Wal.open(walDir, async (m) => m.at(-1)!, { fs, segmentSize: 1024 })
      await r.wal.close()
      const files = (await fsp.readdir(walDir)).filter((f) => f.endsWith('.wal'))
      assert.ok(files.length >= 5, `${files.length} segments`)
      for (const f of files) {
        const { size } = await fsp.stat(path.join(walDir, f))
        const read = fs.readBytes.get(f) ?? 0
        // The last segment is read up to its data and the zeros after it are checked: at most
        // its size once; the others exactly once.
        assert.ok(read > 0 && read <= size, `${f}: ${read} bytes read of ${size}`)
      }
    })

    it('still refuses damage in any segment, and leaves the WAL unlocked', async () => {
      await withMarkers()
      const files = (await fsp.readdir(walDir)).filter((f) => f.endsWith('.wal')).sort()
      // Damage the first segment, before every marker: an open at the newest would not read it.
      const first = path.join(walDir, files[0]!)
      const buf = await fsp.readFile(first)
      buf[200] = buf[200]! ^ 0xff
      await fsp.writeFile(first, buf)
      await Wal.open(walDir, { index: 60, term: 1 }, { segmentSize: 1024 }).then((r) => r.wal.close())
      let chosen = false
      await assert.rejects(
        Wal.open(
          walDir,
          async (m) => {
            chosen = true
            return m.at(-1)!
          },
          { segmentSize: 1024 },
        ),
        (err: unknown) => err instanceof WalCorruptError && err.message.includes('not the last segment'),
      )
      assert.equal(chosen, false, 'nothing is chosen from a damaged WAL')
      await assert.rejects(walSnapshots(walDir), WalCorruptError)
      // The lock was released: an open at a snapshot past the damage still works.
      const r = await Wal.open(walDir, { index: 60, term: 1 }, { segmentSize: 1024 })
      await r.wal.close()
    })

    it('repairs a torn tail as an open at the snapshot does', async () => {
      await withMarkers()
      const files = (await fsp.readdir(walDir)).filter((f) => f.endsWith('.wal')).sort()
      const last = path.join(walDir, files.at(-1)!)
      // The last write torn: the file ends 10 bytes before that write does.
      const buf = await fsp.readFile(last)
      let [start, end] = [0, 0]
      for (let off = 0; ;) {
        const f = readFrame(buf, off)
        if (!f.ok || f.type !== RecordType.Batch) break
        ;[start, end] = [off, off + decodeBatch(f.payload).length]
        off = end
      }
      assert.ok(start > 0, 'the last segment holds a write after its head')
      await fsp.truncate(last, end - 10)
      const r = await Wal.open(walDir, async (m) => m.at(-1)!, { segmentSize: 1024 })
      assert.equal(r.repair?.offset, start, 'the torn write is discarded')
      assert.equal(r.lastIndex, 69, 'the log ends before the torn write')
      await r.wal.save({ term: 1, vote: 1n, commit: 65 }, [entry(70, 1, data(7))])
      await r.wal.close()
      const after = await readWal(walDir, { index: 60, term: 1 })
      assert.equal(after.repair, undefined)
      assert.deepEqual(after.entries.at(-1)?.data, data(7))
    })
  })
})
