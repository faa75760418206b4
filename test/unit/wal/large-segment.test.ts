/**
 * Reading segments larger than the first read of a segment (1 MiB): entries beyond it are all
 * read, and damage far behind the end of data in a preallocated segment is still found, as
 * when the whole file was scanned at once.
 */
import assert from 'node:assert/strict'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { Wal, readWal } from '../../../src/server/wal/index.js'
import { scanSegment } from '../../../src/server/wal/segment-scan.js'
import { entry, removeDir, tempDir } from './helpers.js'

const META = new Uint8Array([2, 7])
const SEGMENT = 8 << 20
const ZERO_STATE = { index: 0, term: 0 }

function payload(i: number, n: number): Uint8Array {
  return new Uint8Array(n).map((_, k) => 1 + ((i * 13 + k) % 250))
}

describe('wal segments larger than the first read', () => {
  let dir: string
  let walDir: string
  let file: string
  /** Offset where data ends in the segment. */
  let dataEnd: number

  before(async () => {
    dir = await tempDir()
    walDir = path.join(dir, 'wal')
    const wal = await Wal.create(walDir, META, { segmentSize: SEGMENT })
    // 3 MiB of entries: read in prefixes of 1, 2 and 4 MiB.
    for (let i = 1; i <= 48; i++)
      await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, payload(i, 64 << 10))])
    file = path.join(walDir, wal.segmentNames().at(-1)!)
    await wal.close()
    const img = await fsp.readFile(file)
    assert.equal(img.length, SEGMENT, 'the last segment stays preallocated')
    dataEnd = scanSegment(img, undefined).end
    assert.ok(dataEnd > 3 << 20 && dataEnd < 4 << 20, `data ends at ${dataEnd}`)
  })
  after(async () => removeDir(dir))

  it('reads every entry of a segment past its first MiB', async () => {
    const r = await readWal(walDir, ZERO_STATE)
    assert.equal(r.entries.length, 48)
    assert.equal(r.lastIndex, 48)
    for (const e of r.entries) assert.ok(Buffer.from(e.data).equals(Buffer.from(payload(e.index, 64 << 10))))
    assert.equal(r.repair, undefined)
  })

  for (const at of [SEGMENT - 1, 6 << 20, (4 << 20) + 100]) {
    it(`finds a non-zero byte at ${at}, far behind the end of data`, async () => {
      const pristine = await fsp.readFile(file)
      const img = Buffer.from(pristine)
      img[at] = 0x5a
      await fsp.writeFile(file, img)
      try {
        const whole = scanSegment(img, undefined)
        const r = await readWal(walDir, ZERO_STATE)
        assert.equal(r.entries.length, 48)
        assert.ok(r.repair, 'the non-zero byte is reported')
        assert.equal(r.repair.offset, dataEnd)
        assert.equal(r.repair.discardedBytes, at + 1 - dataEnd)
        assert.equal(r.repair.reason, whole.damage?.reason)
      } finally {
        await fsp.writeFile(file, pristine)
      }
    })
  }
})
