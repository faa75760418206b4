/**
 * Torn write or corruption in the last write of the log (etcd's rule): damage counts as a torn
 * write only when the damaged write spans a 512-byte sector of the file that is all zeros (a
 * sector the crash kept from reaching the disk). Any other damage is corruption.
 */
import assert from 'node:assert/strict'
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { WalEntry } from '../../../src/server/wal/index.js'
import { Wal, WalCorruptError } from '../../../src/server/wal/index.js'
import { decodeBatch, readFrame } from '../../../src/server/wal/decoder.js'
import { RecordType } from '../../../src/server/wal/record.js'
import { entry, removeDir, tempDir } from './helpers.js'

const META = new Uint8Array([3, 1, 4])
const SECTOR = 512

/** Non-zero entry data, so that no sector of a write is zero by chance. */
function payload(i: number, n: number): Uint8Array {
  return new Uint8Array(n).map((_, k) => 1 + ((i * 31 + k) % 250))
}

describe('wal torn write versus corruption in the last write', () => {
  let dir: string
  let walDir: string
  let file: string
  let pristine: Buffer
  /** Extent of the last write in the last segment. */
  let start: number
  let end: number
  let acked: WalEntry[]

  beforeEach(async () => {
    dir = await tempDir()
    walDir = path.join(dir, 'wal')
    const wal = await Wal.create(walDir, META, { segmentSize: 1 << 16 })
    acked = []
    for (let i = 1; i <= 10; i++) {
      const e = entry(i, 1, payload(i, 50))
      acked.push(e)
      await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [e])
    }
    // The last write: three entries spanning several sectors.
    await wal.save(
      { term: 1, vote: 1n, commit: 10 },
      [11, 12, 13].map((i) => entry(i, 1, payload(i, 700))),
    )
    file = path.join(walDir, wal.segmentNames().at(-1)!)
    await wal.close()
    pristine = await fsp.readFile(file)
    for (let off = 0; ;) {
      const f = readFrame(pristine, off)
      if (!f.ok || f.type !== RecordType.Batch) break
      ;[start, end] = [off, off + decodeBatch(f.payload).length]
      off = end
    }
    assert.ok(Math.floor(start / SECTOR) + 2 < Math.ceil(end / SECTOR), 'the last write spans more than two sectors')
  })
  afterEach(async () => removeDir(dir))

  async function damaged(f: (img: Buffer) => void): Promise<Buffer> {
    const img = Buffer.from(pristine)
    f(img)
    await fsp.writeFile(file, img)
    return img
  }

  it('a flipped bit in the last record is corruption: open() names the file and offset and changes nothing', async () => {
    const img = await damaged((b) => {
      b[end - 20] ^= 0x04
    })
    const err = await Wal.open(walDir, { index: 0, term: 0 }).then(
      (o) => o.wal.close().then(() => assert.fail('opened a corrupt WAL')),
      (e: unknown) => e,
    )
    assert.ok(err instanceof WalCorruptError, String(err))
    assert.equal(err.file, file)
    assert.ok(err.offset >= start && err.offset < end, `offset ${err.offset} in the last write [${start}, ${end})`)
    assert.match(err.message, new RegExp(`${path.basename(file)} at offset ${err.offset}`))
    assert.ok((await fsp.readFile(file)).equals(img), 'nothing was repaired')
  })

  it('a flipped bit in the batch record of the last write is corruption too', async () => {
    await damaged((b) => {
      b[start + 13] ^= 0x01
    })
    await assert.rejects(
      Wal.open(walDir, { index: 0, term: 0 }),
      (e: unknown) => e instanceof WalCorruptError && e.file === file && e.offset === start,
    )
  })

  it('a zeroed trailing sector of the last write is a torn write: repaired', async () => {
    const lastSector = Math.floor((end - 1) / SECTOR) * SECTOR
    await damaged((b) => b.fill(0, lastSector, end))
    const opened = await Wal.open(walDir, { index: 0, term: 0 })
    try {
      assert.deepEqual(opened.entries, acked)
      assert.equal(opened.repair?.file, file)
      assert.equal(opened.repair?.offset, start)
      assert.equal(opened.lastIndex, 10)
    } finally {
      await opened.wal.close()
    }
    const after = await fsp.readFile(file)
    assert.ok(after.subarray(start).equals(Buffer.alloc(after.length - start)), 'the torn write was zeroed')
  })

  it('a zeroed sector in the middle of the last write (written out of order) is a torn write', async () => {
    const mid = (Math.floor(start / SECTOR) + 1) * SECTOR
    await damaged((b) => b.fill(0, mid, mid + SECTOR))
    const opened = await Wal.open(walDir, { index: 0, term: 0 })
    assert.deepEqual(opened.entries, acked)
    assert.equal(opened.repair?.offset, start)
    await opened.wal.close()
  })

  it('zeros over part of a sector only are corruption (a crash tears whole sectors)', async () => {
    const mid = (Math.floor(start / SECTOR) + 1) * SECTOR
    await damaged((b) => b.fill(0, mid + 100, mid + 164))
    await assert.rejects(
      Wal.open(walDir, { index: 0, term: 0 }),
      (e: unknown) => e instanceof WalCorruptError && e.file === file,
    )
  })

  it('a file cut short inside the last write is a torn write', async () => {
    await fsp.writeFile(file, pristine.subarray(0, end - 100))
    const opened = await Wal.open(walDir, { index: 0, term: 0 })
    assert.deepEqual(opened.entries, acked)
    assert.equal(opened.repair?.offset, start)
    await opened.wal.close()
  })

  it('garbage after the last write, where the file holds only zeros, is corruption', async () => {
    await damaged((b) => b.fill(0x5a, end, end + 40))
    await assert.rejects(
      Wal.open(walDir, { index: 0, term: 0 }),
      (e: unknown) => e instanceof WalCorruptError && e.offset === end,
    )
  })
})
