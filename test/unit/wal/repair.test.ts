/**
 * Torn tails and corruption. A "crash" is simulated by damaging the bytes of the last write
 * (whose save() is treated as never resolved) in the ways a crash can: the file cut short,
 * whole 512-byte sectors left zero. Reopening must give a prefix of what was saved that holds
 * every acknowledged save. Damage a crash cannot cause (a flipped bit, garbage, zeros over
 * part of a sector) in the last write is reported as corruption, as damage anywhere else is.
 */
import assert from 'node:assert/strict'
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { HardState, WalEntry } from '../../../src/server/wal/index.js'
import { Wal, WalCorruptError, readWal } from '../../../src/server/wal/index.js'
import { decodeBatch, readFrame } from '../../../src/server/wal/decoder.js'
import { RecordType } from '../../../src/server/wal/record.js'
import { scanSegment } from '../../../src/server/wal/segment-scan.js'
import { SECTOR } from '../../../src/server/wal/segment-scan.js'
import { BATCH_FRAME } from '../../../src/server/wal/record.js'
import { entry, removeDir, rng, tempDir } from './helpers.js'

const META = new Uint8Array([7, 7, 7])

interface Saved {
  hs: HardState
  entries: WalEntry[]
}

/** [start, end) of every batch in a segment image. */
function batches(buf: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let off = 0; ;) {
    const f = readFrame(buf, off)
    if (!f.ok || f.type !== RecordType.Batch) return out
    const end = off + decodeBatch(f.payload).length
    out.push([off, end])
    off = end
  }
}

interface Scenario {
  dir: string
  walDir: string
  /** The last segment, its bytes after the last write, and that write's extent. */
  file: string
  pristine: Buffer
  start: number
  end: number
  acked: Saved[]
  last: Saved
  /** Segment files after the last save. */
  names: string[]
}

/**
 * Saves `count` acknowledged batches and a last one. With `freshSegment`, the last save is
 * made to be the first write of a new segment.
 */
async function scenario(seed: number, count: number, freshSegment: boolean): Promise<Scenario> {
  const r = rng(seed)
  const dir = await tempDir('tsetcd-wal-repair-')
  const walDir = path.join(dir, 'wal')
  const segmentSize = freshSegment ? 1024 : 1 << 16
  const wal = await Wal.create(walDir, META, { segmentSize })
  const saves: Saved[] = []
  let index = 0
  /** `big`: a write that spans more than one sector, of non-zero bytes. */
  const make = (big = false): Saved => {
    const entries: WalEntry[] = []
    const data = () => (big ? r.bytes(200 + r.int(200)).map((b) => b | 1) : r.bytes(1 + r.int(90)))
    for (let n = big ? 3 : 1 + r.int(3); n > 0; n--) entries.push(entry(++index, 1, data()))
    return { hs: { term: 1, vote: 1n, commit: index - 1 }, entries }
  }
  for (let i = 0; i < count; i++) {
    const s = make()
    await wal.save(s.hs, s.entries)
    saves.push(s)
  }
  let last: Saved
  for (;;) {
    const before = wal.segmentNames().length
    last = make(true)
    await wal.save(last.hs, last.entries)
    if (!freshSegment || wal.segmentNames().length > before) break
    saves.push(last)
  }
  const file = path.join(walDir, wal.segmentNames().at(-1)!)
  const names = wal.segmentNames()
  await wal.close()
  const pristine = await fsp.readFile(file)
  const [start, end] = batches(pristine).at(-1)!
  if (freshSegment) assert.equal(start, 0)
  assert.ok(
    Math.floor((end - 1) / SECTOR) * SECTOR >= start + BATCH_FRAME,
    'the last write has a sector after its batch record',
  )
  return { dir, walDir, file, pristine, start, end, acked: saves, last, names }
}

function flat(saves: Saved[]): WalEntry[] {
  return saves.flatMap((s) => s.entries)
}

/** Reads the damaged WAL and checks it against what was saved. Returns whether a repair is reported. */
async function checkPrefix(s: Scenario, what: string): Promise<boolean> {
  const r = await readWal(s.walDir, { index: 0, term: 0 }).catch((err: unknown) =>
    assert.fail(`${what}: ${String(err)}`),
  )
  const acked = flat(s.acked)
  const all = [...acked, ...s.last.entries]
  assert.ok(
    r.entries.length === acked.length || r.entries.length === all.length,
    `${what}: ${r.entries.length} entries`,
  )
  assert.deepEqual(r.entries, all.slice(0, r.entries.length), what)
  assert.deepEqual(r.hardState, r.entries.length === all.length ? s.last.hs : s.acked.at(-1)!.hs, what)
  if (r.repair) {
    assert.equal(r.repair.file, s.file)
    // Damage inside the last write drops all of it; garbage after it drops nothing.
    assert.equal(
      r.repair.offset,
      r.entries.length === all.length ? s.end : s.start,
      `${what}: truncated at a write boundary`,
    )
  }
  return r.repair !== undefined
}

/**
 * Reads the damaged WAL: either a prefix as checkPrefix wants (returns whether a repair is
 * reported), or a WalCorruptError naming the last segment at an offset in the last write or
 * after it (returns 'corrupt').
 */
async function prefixOrCorrupt(s: Scenario, what: string): Promise<boolean | 'corrupt'> {
  const err = await readWal(s.walDir, { index: 0, term: 0 }).then(
    () => undefined,
    (e: unknown) => e,
  )
  if (err === undefined) return checkPrefix(s, what)
  assert.ok(err instanceof WalCorruptError, `${what}: ${String(err)}`)
  assert.equal(err.file, s.file, what)
  assert.ok(err.offset >= s.start, `${what}: offset ${err.offset} before the last write at ${s.start}`)
  return 'corrupt'
}

/** Start of the last sector the last write reaches into. */
function lastSector(s: Scenario): number {
  return Math.floor((s.end - 1) / SECTOR) * SECTOR
}

async function writeImage(s: Scenario, img: Buffer): Promise<void> {
  await fsp.writeFile(s.file, img)
}

/** Damage kinds, each a function of the pristine image and random choices. */
type Damage = (img: Buffer, s: Scenario, r: ReturnType<typeof rng>) => Buffer

const cutAt =
  (t: number): Damage =>
  (img) =>
    img.subarray(0, t)
const zeroFrom =
  (t: number): Damage =>
  (img, s) => {
    const out = Buffer.from(img)
    out.fill(0, t, s.end)
    return out
  }
const flipAt =
  (t: number): Damage =>
  (img, _s, r) => {
    const out = Buffer.from(img)
    out[t] = out[t]! ^ (1 + r.int(255))
    return out
  }
const garbage: Damage = (img, s, r) => {
  const out = Buffer.from(img)
  const a = Math.min(out.length - 1, s.start + r.int(s.end - s.start + 64))
  const b = Math.min(out.length, a + 1 + r.int(200))
  out.set(r.bytes(b - a), a)
  return out
}
const zeroRange: Damage = (img, s, r) => {
  const out = Buffer.from(img)
  const a = s.start + r.int(s.end - s.start)
  out.fill(0, a, Math.min(s.end, a + 1 + r.int(64)))
  return out
}

describe('wal torn tail repair', function () {
  this.timeout(60000)
  const made: string[] = []
  after(async () => {
    for (const d of made) await removeDir(d)
  })

  for (const freshSegment of [false, true]) {
    const where = freshSegment ? 'the first write of a new segment' : 'a write in the middle of a segment'
    describe(`when the torn write is ${where}`, () => {
      let s: Scenario
      before(async () => {
        s = await scenario(freshSegment ? 202 : 101, 12, freshSegment)
        made.push(s.dir)
      })
      afterEach(async () => writeImage(s, s.pristine))

      it('the undamaged WAL reads back everything', async () => {
        assert.equal(await checkPrefix(s, 'pristine'), false)
      })

      it('cut short at every byte offset of the last write', async () => {
        const r = rng(1)
        for (let t = s.start; t < s.end; t++) {
          await writeImage(s, cutAt(t)(s.pristine, s, r))
          // Cut at the very start, the last write simply never happened: nothing to repair.
          assert.equal(await checkPrefix(s, `cut at ${t}`), t > s.start)
        }
      })

      it('zeros from every byte offset of the last write to its end', async () => {
        const r = rng(2)
        let repaired = 0
        for (let t = s.start; t < s.end; t++) {
          await writeImage(s, zeroFrom(t)(s.pristine, s, r))
          const got = await prefixOrCorrupt(s, `zeros from ${t}`)
          // With the batch record intact and the last sector all zeros, the write is torn.
          if (t >= s.start + BATCH_FRAME && t <= lastSector(s)) {
            assert.equal(got, true, `zeros from ${t} (last sector ${lastSector(s)}) are a torn write`)
            repaired++
          }
        }
        assert.ok(repaired > 0)
      })

      it('zeros over any whole sector of the last write are a torn write', async () => {
        let sectors = 0
        for (let lo = Math.floor(s.start / SECTOR) * SECTOR; lo < s.end; lo += SECTOR) {
          await writeImage(s, Buffer.from(s.pristine).fill(0, Math.max(lo, s.start), Math.min(lo + SECTOR, s.end)))
          assert.equal(await checkPrefix(s, `sector at ${lo} zeroed`), true)
          sectors++
        }
        assert.ok(sectors >= 2)
      })

      it('a damaged byte at every offset of the last write is corruption, never a repair', async () => {
        const r = rng(3)
        for (let t = s.start; t < s.end; t++) {
          await writeImage(s, flipAt(t)(s.pristine, s, r))
          const err = await readWal(s.walDir, { index: 0, term: 0 }).then(
            () => assert.fail(`a flipped byte at ${t} went unnoticed or was repaired`),
            (e: unknown) => e,
          )
          assert.ok(err instanceof WalCorruptError, String(err))
          assert.equal(err.file, s.file)
          assert.ok(err.offset >= s.start && err.offset <= t, `reported ${err.offset} for damage at ${t}`)
        }
      })

      it('random garbage and zeroed ranges over the last write (seeded): a prefix or corruption, never more', async () => {
        const r = rng(freshSegment ? 44 : 4)
        const seen = new Set<boolean | 'corrupt'>()
        for (let i = 0; i < 300; i++) {
          const d = r.int(2) === 0 ? garbage : zeroRange
          await writeImage(s, d(s.pristine, s, r))
          seen.add(await prefixOrCorrupt(s, `random damage #${i}`))
        }
        assert.ok(seen.has('corrupt'))
      })

      it('open() repairs the tail durably, appends after it, and the next open is clean', async () => {
        const r = rng(5)
        const kinds: Damage[] = [
          cutAt(s.start + 1 + r.int(s.end - s.start - 1)),
          zeroFrom(lastSector(s)),
          zeroFrom(s.start + BATCH_FRAME + r.int(lastSector(s) - s.start - BATCH_FRAME + 1)),
        ]
        for (const [k, d] of kinds.entries()) {
          await writeImage(s, d(s.pristine, s, r))
          const before = await readWal(s.walDir, { index: 0, term: 0 })
          const opened = await Wal.open(s.walDir, { index: 0, term: 0 }, { segmentSize: freshSegment ? 1024 : 1 << 16 })
          assert.deepEqual(opened.entries, before.entries)
          assert.deepEqual(opened.repair, before.repair)
          const next = (opened.entries.at(-1)?.index ?? 0) + 1
          const more = [entry(next, 2, new Uint8Array([k, 1, 2])), entry(next + 1, 2, new Uint8Array([k]))]
          await opened.wal.save({ term: 2, vote: 0n, commit: next }, more)
          await opened.wal.close()
          const again = await readWal(s.walDir, { index: 0, term: 0 })
          assert.equal(again.repair, undefined, 'nothing left to repair')
          assert.deepEqual(again.entries, [...before.entries, ...more])
          // Put the original segment set back for the next kind.
          for (const n of await fsp.readdir(s.walDir))
            if (n.endsWith('.wal') && !s.names.includes(n)) await fsp.unlink(path.join(s.walDir, n))
          await writeImage(s, s.pristine)
        }
      })
    })
  }
})

describe('wal corruption that is not a torn tail', function () {
  this.timeout(30000)
  let s: Scenario
  before(async () => {
    s = await scenario(303, 30, false)
  })
  after(async () => removeDir(s.dir))
  afterEach(async () => writeImage(s, s.pristine))

  it('a damaged byte in any write followed by a valid write is an error with file and offset', async () => {
    const r = rng(6)
    const all = batches(s.pristine).slice(0, -1)
    for (let i = 0; i < 60; i++) {
      const [a, b] = all[r.int(all.length)]!
      const t = a + r.int(b - a)
      const img = Buffer.from(s.pristine)
      img[t] = img[t]! ^ (1 + r.int(255))
      await writeImage(s, img)
      const err = await readWal(s.walDir, { index: 0, term: 0 }).then(
        () => assert.fail(`damage at ${t} went unnoticed`),
        (e: unknown) => e,
      )
      assert.ok(err instanceof WalCorruptError, String(err))
      assert.equal(err.file, s.file)
      assert.ok(err.offset >= a && err.offset <= t, `reported ${err.offset} for damage at ${t} in [${a}, ${b})`)
    }
  })

  it('zeros over acknowledged writes (a hole) are an error, and open() changes nothing', async () => {
    const all = batches(s.pristine)
    const [a] = all[3]!
    const [, b] = all[5]!
    const img = Buffer.from(s.pristine)
    img.fill(0, a, b)
    await writeImage(s, img)
    await assert.rejects(Wal.open(s.walDir, { index: 0, term: 0 }), WalCorruptError)
    assert.ok((await fsp.readFile(s.file)).equals(img), 'a failed open does not repair')
  })
})

describe('wal damage in a segment that is not the last', function () {
  let dir: string
  let walDir: string
  let names: string[]
  beforeEach(async () => {
    dir = await tempDir()
    walDir = path.join(dir, 'wal')
    const wal = await Wal.create(walDir, META, { segmentSize: 1024 })
    for (let i = 1; i <= 40; i++)
      await wal.save({ term: 1, vote: 0n, commit: i - 1 }, [entry(i, 1, new Uint8Array(100).fill(i))])
    names = wal.segmentNames()
    await wal.close()
    assert.ok(names.length >= 3)
  })
  afterEach(async () => removeDir(dir))

  it('a damaged last write of an earlier segment is an error, not a repair', async () => {
    const file = path.join(walDir, names[1]!)
    const img = await fsp.readFile(file)
    const [a, b] = batches(img).at(-1)!
    img[a + ((b - a) >> 1)] ^= 0x40
    await fsp.writeFile(file, img)
    const err = await readWal(walDir, { index: 0, term: 0 }).catch((e: unknown) => e)
    assert.ok(err instanceof WalCorruptError)
    assert.equal(err.file, file)
  })

  it('an earlier segment cut short is an error', async () => {
    const file = path.join(walDir, names[0]!)
    const img = await fsp.readFile(file)
    await fsp.writeFile(file, img.subarray(0, img.length - 5))
    await assert.rejects(readWal(walDir, { index: 0, term: 0 }), WalCorruptError)
  })

  it('a missing segment in the middle is an error', async () => {
    await fsp.unlink(path.join(walDir, names[1]!))
    await assert.rejects(
      readWal(walDir, { index: 0, term: 0 }),
      (e: unknown) => e instanceof WalCorruptError && /missing/.test(e.message),
    )
  })

  it('a last segment whose first write was lost gets its head records written again', async () => {
    const file = path.join(walDir, names.at(-1)!)
    await fsp.writeFile(file, Buffer.alloc(1024))
    const opened = await Wal.open(walDir, { index: 0, term: 0 }, { segmentSize: 1024 })
    assert.deepEqual(opened.metadata, META)
    const last = opened.entries.at(-1)!.index
    await opened.wal.save(undefined, [entry(last + 1, 1, new Uint8Array([9]))])
    await opened.wal.close()
    const head = scanSegment(await fsp.readFile(file), undefined).records.map((x) => x.type)
    assert.deepEqual(head.slice(0, 3), [RecordType.Segment, RecordType.Metadata, RecordType.HardState])
    const back = await readWal(walDir, { index: 0, term: 0 })
    assert.equal(back.entries.at(-1)!.index, last + 1)
  })
})
