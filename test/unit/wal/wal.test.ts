import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { HardState, WalEntry } from '../../../src/server/wal/index.js'
import {
  Wal,
  WalCorruptError,
  WalExistsError,
  WalFailedError,
  WalLockedError,
  WalNotFoundError,
  WalSnapshotNotFoundError,
  readWal,
  walExists,
  walSnapshots,
} from '../../../src/server/wal/index.js'
import { scanSegment } from '../../../src/server/wal/segment-scan.js'
import { parseSegmentName } from '../../../src/server/wal/segment-name.js'
import { RecordType } from '../../../src/server/wal/record.js'
import { decodeEntry } from '../../../src/server/wal/decoder.js'
import { InstrumentedFs, entry, removeDir, rng, tempDir, tick } from './helpers.js'

const META = new Uint8Array([0x69, 0x4d, 0x7a, 0x5a, 1, 2, 3])

/** Applies saves the way the log must read back: an entry replaces the tail from its index. */
class Model {
  entries: WalEntry[] = []
  hardState: HardState = { term: 0, vote: 0n, commit: 0 }
  save(hs: HardState | undefined, ents: WalEntry[]): void {
    if (hs) this.hardState = hs
    for (const e of ents) {
      const first = this.entries[0]?.index ?? e.index
      this.entries.length = Math.max(0, e.index - first)
      this.entries.push(e)
    }
  }
  after(index: number): WalEntry[] {
    return this.entries.filter((e) => e.index > index)
  }
}

describe('wal', function () {
  let dir: string
  let walDir: string
  beforeEach(async () => {
    dir = await tempDir()
    walDir = path.join(dir, 'member', 'wal')
  })
  afterEach(async () => removeDir(dir))

  describe('create and exists', () => {
    it('creates a WAL that reads back its metadata and nothing else', async () => {
      assert.equal(await walExists(walDir), false)
      const wal = await Wal.create(walDir, META, { segmentSize: 4096 })
      assert.equal(await walExists(walDir), true)
      await wal.close()
      const r = await Wal.open(walDir, { index: 0, term: 0 })
      assert.deepEqual(r.metadata, META)
      assert.deepEqual(r.entries, [])
      assert.deepEqual(r.hardState, { term: 0, vote: 0n, commit: 0 })
      assert.equal(r.repair, undefined)
      await r.wal.close()
    })

    it('refuses to create over an existing WAL and to open a missing one', async () => {
      await (await Wal.create(walDir, META, { segmentSize: 4096 })).close()
      await assert.rejects(Wal.create(walDir, META), WalExistsError)
      await assert.rejects(Wal.open(path.join(dir, 'nowhere'), { index: 0, term: 0 }), WalNotFoundError)
    })

    it('creates over what an interrupted create left behind', async () => {
      await fsp.mkdir(walDir, { recursive: true })
      await fsp.writeFile(path.join(walDir, 'create.wal.tmp'), 'partial')
      assert.equal(await walExists(walDir), false)
      const wal = await Wal.create(walDir, META, { segmentSize: 4096 })
      await wal.close()
      assert.deepEqual((await fsp.readdir(walDir)).sort(), ['0000000000000000-0000000000000000.wal'])
    })
  })

  describe('save and reopen', () => {
    it('reads back exactly what was saved: entries, last hard state, metadata', async () => {
      const r = rng(11)
      const model = new Model()
      const wal = await Wal.create(walDir, META, { segmentSize: 8192 })
      let index = 0
      for (let i = 0; i < 150; i++) {
        const ents: WalEntry[] = []
        for (let n = r.int(4); n > 0; n--) ents.push(entry(++index, 1 + (i >> 5), r.bytes(r.int(700)), r.int(2)))
        const hs =
          r.int(3) === 0
            ? undefined
            : { term: 1 + (i >> 5), vote: BigInt(r.int(5)) << 60n, commit: Math.max(0, index - r.int(3)) }
        model.save(hs, ents)
        await wal.save(hs, ents)
      }
      assert.ok(wal.stats.cuts > 0, 'the test should span several segments')
      await wal.close()
      const back = await Wal.open(walDir, { index: 0, term: 0 }, { segmentSize: 8192 })
      assert.deepEqual(back.entries, model.entries)
      assert.deepEqual(back.hardState, model.hardState)
      assert.deepEqual(back.metadata, META)
      await back.wal.close()
    })

    it('accepts entry type names and returns type codes; keeps 64-bit votes and large indexes', async () => {
      const wal = await Wal.create(walDir, META, { segmentSize: 4096 })
      const big = 2 ** 40 + 3
      await wal.saveSnapshot({ index: big, term: 9 })
      await wal.save({ term: 9, vote: 0xffffffffffffffffn, commit: big + 1 }, [
        { index: big + 1, term: 9, type: 'confChange', data: new Uint8Array([1]) },
        { index: big + 2, term: 9, type: 'normal', data: new Uint8Array([]) },
      ])
      await wal.close()
      const back = await Wal.open(walDir, { index: big, term: 9 })
      assert.deepEqual(
        back.entries.map((e) => [e.index, e.type]),
        [
          [big + 1, 1],
          [big + 2, 0],
        ],
      )
      assert.equal(back.hardState.vote, 0xffffffffffffffffn)
      await back.wal.close()
    })

    it('rejects entries that would leave a gap, without writing them', async () => {
      const wal = await Wal.create(walDir, META, { segmentSize: 4096 })
      await wal.save(undefined, [entry(1, 1, new Uint8Array([1]))])
      await assert.rejects(wal.save(undefined, [entry(3, 1, new Uint8Array([3]))]), RangeError)
      await assert.rejects(
        wal.save(undefined, [entry(2, 1, new Uint8Array(1)), entry(4, 1, new Uint8Array(1))]),
        RangeError,
      )
      await wal.save(undefined, [entry(2, 1, new Uint8Array([2]))])
      await wal.close()
      const back = await readWal(walDir, { index: 0, term: 0 })
      assert.deepEqual(
        back.entries.map((e) => e.index),
        [1, 2],
      )
    })

    it('an overwritten tail reads back from the overwriting entries on, also across segments', async () => {
      const r = rng(5)
      const model = new Model()
      const wal = await Wal.create(walDir, META, { segmentSize: 2048 })
      const put = async (from: number, to: number, term: number) => {
        const ents: WalEntry[] = []
        for (let i = from; i <= to; i++) ents.push(entry(i, term, r.bytes(100)))
        model.save({ term, vote: 1n, commit: from - 1 }, ents)
        await wal.save({ term, vote: 1n, commit: from - 1 }, ents)
      }
      for (let i = 1; i <= 40; i += 5) await put(i, i + 4, 1)
      const cutsBefore = wal.stats.cuts
      await put(12, 15, 2) // replaces 12..40, which span segments
      await put(16, 30, 2)
      await put(29, 29, 3)
      assert.ok(cutsBefore > 1)
      await wal.close()
      const back = await Wal.open(walDir, { index: 0, term: 0 })
      assert.deepEqual(back.entries, model.entries)
      assert.deepEqual(
        back.entries.map((e) => e.term),
        [...Array(11).fill(1), ...Array(17).fill(2), 3],
      )
      await back.wal.close()
    })

    it('keeps appending after a reopen, in the same segment and across cuts', async () => {
      const model = new Model()
      let wal = await Wal.create(walDir, META, { segmentSize: 4096 })
      const r = rng(3)
      let index = 0
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 12; i++) {
          const ents = [entry(++index, round + 1, r.bytes(200))]
          const hs = { term: round + 1, vote: 2n, commit: index - 1 }
          model.save(hs, ents)
          await wal.save(hs, ents)
        }
        await wal.close()
        const back = await Wal.open(walDir, { index: 0, term: 0 }, { segmentSize: 4096 })
        assert.deepEqual(back.entries, model.entries)
        assert.deepEqual(back.hardState, model.hardState)
        wal = back.wal
      }
      await wal.close()
    })
  })

  describe('group commit', () => {
    it('gathers saves issued together into one write and one fdatasync, resolved in call order', async () => {
      const fs = new InstrumentedFs()
      const wal = await Wal.create(walDir, META, { fs, segmentSize: 1 << 20 })
      const before = fs.datasyncs
      const order: number[] = []
      const saves = []
      for (let i = 1; i <= 100; i++)
        saves.push(
          wal
            .save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, new Uint8Array(256).fill(i))])
            .then(() => order.push(i)),
        )
      await Promise.all(saves)
      assert.equal(fs.datasyncs - before, 1)
      assert.equal(wal.stats.writes, 1)
      assert.deepEqual(
        order,
        order.slice().sort((a, b) => a - b),
      )
      await wal.close()
      assert.equal((await readWal(walDir, { index: 0, term: 0 })).entries.length, 100)
    })

    it('flush() starts the write at once; without it the write waits for the synchronous run to end', async () => {
      const fs = new InstrumentedFs()
      const wal = await Wal.create(walDir, META, { fs, segmentSize: 1 << 20 })
      // The next segment is being prepared in the background (zeros, then fsync): let it finish.
      while (fs.syncs < 2) await tick()
      const before = fs.writes
      const first = wal.save(undefined, [entry(1, 1, new Uint8Array(8))])
      assert.equal(fs.writes, before, 'saves of one synchronous run are gathered')
      await first
      assert.equal(fs.writes, before + 1)
      const second = wal.save({ term: 1, vote: 0n, commit: 1 }, [entry(2, 1, new Uint8Array(8))])
      wal.flush()
      assert.equal(fs.writes, before + 2, 'the write is issued before flush() returns')
      wal.flush()
      await second
      assert.equal(wal.stats.writes, 2)
      await wal.close()
      assert.equal((await readWal(walDir, { index: 0, term: 0 })).entries.length, 2)
    })

    it('saves made while an fdatasync is in flight share the next one', async () => {
      const fs = new InstrumentedFs()
      const wal = await Wal.create(walDir, META, { fs, segmentSize: 1 << 20 })
      const before = fs.datasyncs
      let open!: () => void
      fs.gate = new Promise((resolve) => (open = resolve))
      const resolved: number[] = []
      const saves = [wal.save(undefined, [entry(1, 1, new Uint8Array(8))]).then(() => resolved.push(1))]
      while (fs.waitingAtGate === 0) await tick()
      for (let i = 2; i <= 60; i++) {
        saves.push(
          wal.save({ term: 1, vote: 0n, commit: i - 1 }, [entry(i, 1, new Uint8Array(8))]).then(() => resolved.push(i)),
        )
        if (i % 10 === 0) await tick()
      }
      assert.deepEqual(resolved, [], 'nothing resolves before its fdatasync')
      fs.gate = undefined
      open()
      await Promise.all(saves)
      assert.equal(fs.datasyncs - before, 2)
      assert.deepEqual(
        resolved,
        Array.from({ length: 60 }, (_, i) => i + 1),
      )
      await wal.close()
    })

    it('concurrent callers that each wait for their save need far fewer fsyncs than saves', async () => {
      const fs = new InstrumentedFs()
      const wal = await Wal.create(walDir, META, { fs, segmentSize: 1 << 20 })
      const before = fs.datasyncs
      let index = 0
      const caller = async () => {
        for (let i = 0; i < 25; i++) {
          const idx = ++index
          await wal.save({ term: 1, vote: 0n, commit: idx - 1 }, [entry(idx, 1, new Uint8Array(256))])
        }
      }
      await Promise.all(Array.from({ length: 16 }, caller))
      const fsyncs = fs.datasyncs - before
      assert.equal(wal.stats.saves, 400)
      assert.ok(fsyncs * 8 <= 400, `${fsyncs} fsyncs for 400 saves`)
      await wal.close()
      assert.equal((await readWal(walDir, { index: 0, term: 0 })).entries.length, 400)
    })

    it('an empty save is a barrier that resolves after the saves before it', async () => {
      const wal = await Wal.create(walDir, META, { segmentSize: 1 << 20 })
      const done: string[] = []
      const a = wal.save(undefined, [entry(1, 1, new Uint8Array(3))]).then(() => done.push('a'))
      const b = wal.save(undefined, []).then(() => done.push('barrier'))
      await Promise.all([a, b])
      assert.deepEqual(done, ['a', 'barrier'])
      await wal.close()
    })

    it('a failed fdatasync fails the saves of that write and every later save', async () => {
      const fs = new InstrumentedFs()
      const wal = await Wal.create(walDir, META, { fs, segmentSize: 1 << 20 })
      await wal.save(undefined, [entry(1, 1, new Uint8Array(3))])
      fs.failDatasync = new Error('EIO: injected')
      const failed = [
        wal.save(undefined, [entry(2, 1, new Uint8Array(3))]),
        wal.save(undefined, [entry(3, 1, new Uint8Array(3))]),
      ]
      for (const f of failed) await assert.rejects(f, WalFailedError)
      fs.failDatasync = undefined
      await assert.rejects(wal.save(undefined, [entry(4, 1, new Uint8Array(3))]), WalFailedError)
      await wal.close()
    })
  })

  describe('segments', () => {
    it('cuts into preallocated segments named (sequence, first index) without waiting for preallocation', async () => {
      const fs = new InstrumentedFs()
      const size = 4096
      const wal = await Wal.create(walDir, META, { fs, segmentSize: size })
      const r = rng(8)
      for (let i = 1; i <= 40; i++) {
        await wal.save({ term: 1, vote: 0n, commit: i - 1 }, [entry(i, 1, r.bytes(500))])
        await new Promise((resolve) => setTimeout(resolve, 3))
        if (i % 10 === 0) {
          // A fresh tail is preallocated to the segment size.
          const tail = wal.segmentNames().at(-1)!
          assert.equal((await fsp.stat(path.join(walDir, tail))).size >= size, true)
        }
      }
      assert.ok(wal.stats.cuts >= 4, `cuts: ${wal.stats.cuts}`)
      assert.equal(wal.stats.cutWaits, 0)
      assert.equal(wal.stats.dirSyncs, wal.stats.cuts, 'one directory fsync per new segment')
      // The pipeline keeps the next segment ready, at full size.
      const tmps = (await fsp.readdir(walDir)).filter((n) => n.endsWith('.wal.tmp'))
      assert.equal(tmps.length, 1)
      assert.equal((await fsp.stat(path.join(walDir, tmps[0]!))).size, size)
      await wal.close()

      const names = (await fsp.readdir(walDir)).filter((n) => n.endsWith('.wal')).sort()
      assert.deepEqual(names, wal.segmentNames())
      assert.equal(names.length, wal.stats.cuts + 1)
      let expectFirst = 0
      for (const [i, name] of names.entries()) {
        const info = parseSegmentName(name)!
        assert.equal(info.seq, i)
        assert.equal(info.firstIndex, expectFirst)
        const buf = await fsp.readFile(path.join(walDir, name))
        const scan = scanSegment(buf, undefined)
        assert.equal(scan.damage, undefined)
        const ents = scan.records.filter((rec) => rec.type === RecordType.Entry).map((rec) => decodeEntry(rec.payload)!)
        if (i > 0) assert.equal(ents[0]!.index, info.firstIndex, 'a segment starts with the entry its name says')
        if (i < names.length - 1) assert.equal(buf.length, scan.end, 'a finished segment is trimmed to its data')
        expectFirst = ents.at(-1)!.index + 1
      }
      assert.equal(
        (await fsp.readdir(walDir)).some((n) => n.endsWith('.tmp')),
        false,
        'close removes the prepared file',
      )
    })

    it('a reopened WAL can start reading at any segment: each begins with metadata and the hard state', async () => {
      const wal = await Wal.create(walDir, META, { segmentSize: 2048 })
      for (let i = 1; i <= 60; i++) {
        await wal.save({ term: 2, vote: 3n, commit: i - 1 }, [entry(i, 2, new Uint8Array(120).fill(i))])
        if (i === 45) await wal.saveSnapshot({ index: 45, term: 2 })
      }
      await wal.close()
      const back = await readWal(walDir, { index: 45, term: 2 })
      assert.deepEqual(
        back.entries.map((e) => e.index),
        Array.from({ length: 15 }, (_, i) => 46 + i),
      )
      assert.deepEqual(back.hardState, { term: 2, vote: 3n, commit: 59 })
      assert.deepEqual(back.metadata, META)
    })
  })

  describe('snapshot markers', () => {
    let wal: Wal
    beforeEach(async () => {
      wal = await Wal.create(walDir, META, { segmentSize: 2048 })
      for (let i = 1; i <= 40; i++) {
        await wal.save({ term: 1, vote: 1n, commit: Math.max(0, i - 2) }, [entry(i, 1, new Uint8Array(60).fill(i))])
        if (i === 10 || i === 20 || i === 39) await wal.saveSnapshot({ index: i, term: 1 })
      }
      await wal.close()
    })

    it('opens at a snapshot and returns only the entries after it', async () => {
      for (const at of [10, 20]) {
        const r = await Wal.open(walDir, { index: at, term: 1 })
        assert.deepEqual(
          r.entries.map((e) => e.index),
          Array.from({ length: 40 - at }, (_, i) => at + 1 + i),
        )
        await r.wal.close()
      }
    })

    it('fails for a snapshot without a marker or with another term', async () => {
      await assert.rejects(Wal.open(walDir, { index: 15, term: 1 }), WalSnapshotNotFoundError)
      await assert.rejects(Wal.open(walDir, { index: 20, term: 2 }), WalSnapshotNotFoundError)
    })

    it('lists the markers at or below the saved commit index', async () => {
      assert.deepEqual(await walSnapshots(walDir), [
        { index: 10, term: 1 },
        { index: 20, term: 1 },
      ])
    })

    it('continues after a snapshot installed past the end of the log', async () => {
      const r = await Wal.open(walDir, { index: 20, term: 1 })
      await r.wal.saveSnapshot({ index: 100, term: 3 })
      await r.wal.save({ term: 3, vote: 0n, commit: 100 }, [entry(101, 3, new Uint8Array(4))])
      await r.wal.close()
      const back = await readWal(walDir, { index: 100, term: 3 })
      assert.deepEqual(
        back.entries.map((e) => e.index),
        [101],
      )
      await assert.rejects(readWal(walDir, { index: 20, term: 1 }), WalSnapshotNotFoundError)
    })
  })

  describe('release and purge', () => {
    async function fill(): Promise<Wal> {
      const wal = await Wal.create(walDir, META, { segmentSize: 2048 })
      for (let i = 1; i <= 150; i++) {
        await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, new Uint8Array(100).fill(i))])
        if (i === 120) await wal.saveSnapshot({ index: 120, term: 1 })
      }
      return wal
    }

    it('purges nothing until a snapshot releases segments', async () => {
      const wal = await fill()
      const n = wal.segmentNames().length
      assert.ok(n > 4)
      assert.deepEqual(await wal.purge(1), [])
      assert.equal(wal.segmentNames().length, n)
      await wal.close()
    })

    it('removes released segments down to maxWals but keeps every segment a reopen needs', async () => {
      const wal = await fill()
      const all = wal.segmentNames()
      wal.releaseTo(120)
      const removed = await wal.purge(1)
      const kept = wal.segmentNames()
      assert.deepEqual([...removed, ...kept], all, 'oldest first, nothing else touched')
      const needed = all.filter((n) => parseSegmentName(n)!.firstIndex <= 120).at(-1)!
      assert.equal(kept[0], needed, 'the segment holding the snapshot index is kept')
      await wal.close()
      assert.deepEqual((await fsp.readdir(walDir)).filter((n) => n.endsWith('.wal')).sort(), kept)
      const r = await Wal.open(walDir, { index: 120, term: 1 })
      assert.deepEqual(
        r.entries.map((e) => e.index),
        Array.from({ length: 30 }, (_, i) => 121 + i),
      )
      await r.wal.close()
      await assert.rejects(readWal(walDir, { index: 0, term: 0 }), WalSnapshotNotFoundError)
    })

    it('keeps maxWals segments even when more are released, and 0 means keep all', async () => {
      const wal = await fill()
      const all = wal.segmentNames()
      wal.releaseTo(150)
      assert.deepEqual(await wal.purge(0), [])
      const removed = await wal.purge(3)
      assert.equal(wal.segmentNames().length, 3)
      assert.deepEqual(removed, all.slice(0, all.length - 3))
      await wal.close()
    })

    it('opening at a snapshot releases the segments before it', async () => {
      await (await fill()).close()
      const r = await Wal.open(walDir, { index: 120, term: 1 })
      const removed = await r.wal.purge(1)
      assert.ok(removed.length > 0)
      assert.ok(parseSegmentName(r.wal.segmentNames()[0]!)!.firstIndex <= 120)
      await r.wal.close()
    })
  })

  describe('lock', () => {
    it('lets only one opener append at a time', async () => {
      await (await Wal.create(walDir, META, { segmentSize: 4096 })).close()
      const a = await Wal.open(walDir, { index: 0, term: 0 })
      await assert.rejects(Wal.open(walDir, { index: 0, term: 0 }), WalLockedError)
      await a.wal.close()
      const b = await Wal.open(walDir, { index: 0, term: 0 })
      await b.wal.close()
    })

    it('takes over the lock of a process that is gone or whose PID was reused', async () => {
      await (await Wal.create(walDir, META, { segmentSize: 4096 })).close()
      const gone = spawnSync(process.execPath, ['-e', '0']).pid!
      await fsp.writeFile(path.join(walDir, 'wal.lock'), `${gone} - deadbeef\n`)
      const a = await Wal.open(walDir, { index: 0, term: 0 })
      await a.wal.close()
      // A live PID with another start time is a reused PID.
      await fsp.writeFile(path.join(walDir, 'wal.lock'), `${process.ppid} 1 deadbeef\n`)
      const b = await Wal.open(walDir, { index: 0, term: 0 })
      await b.wal.close()
    })

    it('respects the lock of another live process', async () => {
      await (await Wal.create(walDir, META, { segmentSize: 4096 })).close()
      const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'])
      try {
        const stat = (await fsp.readFile(`/proc/${child.pid}/stat`, 'latin1').catch(() => '')) || ''
        const start = stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] : '-'
        await fsp.writeFile(path.join(walDir, 'wal.lock'), `${child.pid} ${start} cafe\n`)
        await assert.rejects(Wal.open(walDir, { index: 0, term: 0 }), WalLockedError)
      } finally {
        child.kill('SIGKILL')
      }
    })
  })

  it('reports corruption with the file and offset', async () => {
    const wal = await Wal.create(walDir, META, { segmentSize: 1 << 16 })
    for (let i = 1; i <= 5; i++) await wal.save(undefined, [entry(i, 1, new Uint8Array(64).fill(i))])
    await wal.close()
    const file = path.join(walDir, '0000000000000000-0000000000000000.wal')
    const buf = await fsp.readFile(file)
    const scan = scanSegment(buf, undefined)
    const second = scan.records.filter((x) => x.type === RecordType.Entry)[1]!
    buf[second.offset + 40] ^= 0xff
    await fsp.writeFile(file, buf)
    const err = await readWal(walDir, { index: 0, term: 0 }).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof WalCorruptError)
    assert.equal(err.file, file)
    assert.equal(err.offset, second.offset)
  })
})
