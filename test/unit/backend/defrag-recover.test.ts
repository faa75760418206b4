import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { RocksBackend } from '../../../src/server/backend/rocks-backend.js'
import { defragDirs } from '../../../src/server/backend/defrag.js'

/** A crash at each step of the defragmentation's rename dance leaves a database that opens with its data. */
describe('RocksBackend defragmentation crash recovery', function () {
  this.timeout(30000)
  let dir: string
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsetcd-defrag-'))))
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

  async function make(location: string, value: string): Promise<void> {
    const b = await RocksBackend.open(location)
    const wb = b.batch()
    wb.put(Buffer.from('k'), Buffer.from(value))
    wb.write({ sync: true })
    await b.close()
  }
  async function read(location: string): Promise<string | undefined> {
    const b = await RocksBackend.open(location)
    try {
      return (await b.get([Buffer.from('k')]))[0]?.toString()
    } finally {
      await b.close()
    }
  }

  it('copy started, not swapped: the live database stays, the copy goes', async () => {
    const db = path.join(dir, 'db')
    await make(db, 'live')
    await make(defragDirs(db).tmp, 'partial')
    assert.equal(await read(db), 'live')
    assert.ok(!fs.existsSync(defragDirs(db).tmp))
  })

  it('crashed between the two renames: the complete copy is put in place', async () => {
    const db = path.join(dir, 'db')
    await make(defragDirs(db).old, 'old')
    await make(defragDirs(db).tmp, 'copy')
    assert.equal(await read(db), 'copy')
    assert.ok(!fs.existsSync(defragDirs(db).old) && !fs.existsSync(defragDirs(db).tmp))
  })

  it('swapped, old not removed yet: the new database stays, the old one goes', async () => {
    const db = path.join(dir, 'db')
    await make(db, 'copy')
    await make(defragDirs(db).old, 'old')
    assert.equal(await read(db), 'copy')
    assert.ok(!fs.existsSync(defragDirs(db).old))
  })

  it('defrag keeps every record, and records written while it copies', async () => {
    const db = path.join(dir, 'db')
    const b = await RocksBackend.open(db)
    const wb = b.batch()
    for (let i = 0; i < 5000; i++) wb.put(Buffer.from(`k${i}`), Buffer.alloc(100, 'v'))
    wb.write()
    const running = b.defrag(async (swap) => {
      await swap()
    })
    const during = b.batch()
    during.put(Buffer.from('during'), Buffer.from('yes'))
    during.del(Buffer.from('k0'))
    during.write()
    await running
    const got = await b.get([Buffer.from('during'), Buffer.from('k0'), Buffer.from('k4999')])
    assert.deepEqual(
      got.map((v) => v?.toString()),
      ['yes', undefined, 'v'.repeat(100)],
    )
    await b.close()
  })
})

describe('RocksBackend iteration across a defragmentation', function () {
  this.timeout(30000)
  let dir: string
  let b: RocksBackend
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsetcd-defrag-iter-'))
    b = await RocksBackend.open(path.join(dir, 'db'))
    const wb = b.batch()
    for (let i = 0; i < 500; i++) wb.put(Buffer.from(`k${String(i).padStart(4, '0')}`), Buffer.from(`v${i}`))
    wb.write({ sync: true })
  })
  afterEach(async () => {
    await b.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  async function iterateAcrossDefrag(pointInTime: boolean): Promise<number> {
    const it = b.iterate(Buffer.from('k'), Buffer.from('l'), { chunkSize: 100, pointInTime })[Symbol.asyncIterator]()
    let n = (await it.next()).value.length as number
    await b.defrag()
    for (let r = await it.next(); !r.done; r = await it.next()) n += r.value.length
    return n
  }

  it('goes on in the new database after the last key read', async () => {
    assert.equal(await iterateAcrossDefrag(false), 500)
  })

  it('fails a point-in-time read (a snapshot must not mix two databases)', async () => {
    await assert.rejects(iterateAcrossDefrag(true), /defragmented during a point-in-time read/)
  })
})
