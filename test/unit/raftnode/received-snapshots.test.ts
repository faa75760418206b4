/**
 * Databases received with raft snapshots: staged under their snapshot's term and index,
 * checked, one receive or install at a time, and a swap cut short at any point restarts.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { RocksBackend } from '../../../src/server/backend/rocks-backend.js'
import { MetaKey, encodeMetaNumber, readMeta } from '../../../src/server/mvcc/meta.js'
import { ReceivedSnapshots, backendBody } from '../../../src/server/raftnode/db-snapshot.js'

/** A source database at applied index `ci` holding `keys` records; returns its body. */
async function sourceBody(dir: string, ci: number, keys: number): Promise<Uint8Array[]> {
  const db = await RocksBackend.open(dir)
  try {
    const b = db.batch()
    b.put(MetaKey.consistentIndex, encodeMetaNumber(ci))
    for (let i = 0; i < keys; i++)
      b.put(Buffer.from(`\x05key-${String(i).padStart(6, '0')}`), Buffer.from(`value-${ci}-${i}`))
    b.write({ sync: true })
    const out: Uint8Array[] = []
    for await (const chunk of backendBody(db)) out.push(chunk)
    return out
  } finally {
    await db.close()
  }
}

async function* slowly(chunks: Uint8Array[], log?: string[], tag?: string): AsyncIterable<Uint8Array> {
  for (const c of chunks) {
    log?.push(`${tag}:chunk`)
    await new Promise((r) => setImmediate(r))
    yield c
  }
  log?.push(`${tag}:end`)
}

async function appliedOf(dir: string): Promise<number> {
  const db = await RocksBackend.open(dir)
  try {
    return readMeta(db).consistentIndex
  } finally {
    await db.close()
  }
}

describe('received snapshot databases', function () {
  this.timeout(30000)
  let root: string
  let dataDir: string
  let live: string
  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsetcd-received-'))
    dataDir = path.join(root, 'data')
    live = RocksBackend.dbDir(dataDir)
    fs.mkdirSync(path.dirname(live), { recursive: true })
    await sourceBody(live, 3, 2)
  })
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }))

  it('stages a body under its snapshot, then installs it in place of the live database', async () => {
    const r = new ReceivedSnapshots(dataDir)
    const body = await sourceBody(path.join(root, 'src'), 40, 3000)
    await r.stage({ term: 2, index: 40 }, slowly(body), 3)
    assert.ok(await r.has({ term: 2, index: 40 }))
    assert.ok(!(await r.has({ term: 3, index: 40 })), 'tied to the term too')
    assert.equal(await appliedOf(live), 3, 'staging leaves the live database alone')
    await r.install({ term: 2, index: 40 })
    assert.equal(await appliedOf(live), 40)
    assert.ok(!(await r.has({ term: 2, index: 40 })))
    assert.deepEqual(fs.readdirSync(path.dirname(live)).sort(), ['db'])
  })

  it('refuses a body whose applied index is not the snapshot index, and keeps nothing of it', async () => {
    const r = new ReceivedSnapshots(dataDir)
    const body = await sourceBody(path.join(root, 'src'), 41, 10)
    await assert.rejects(
      r.stage({ term: 2, index: 40 }, slowly(body), 3),
      /applied index 41, not at the snapshot's index 40/,
    )
    assert.deepEqual(fs.readdirSync(path.dirname(live)).sort(), ['db'])
  })

  it('a body cut short leaves no complete copy', async () => {
    const r = new ReceivedSnapshots(dataDir)
    const body = await sourceBody(path.join(root, 'src'), 40, 10)
    async function* broken() {
      yield body[0]!.subarray(0, 7)
      throw new Error('peer went away')
    }
    await assert.rejects(r.stage({ term: 2, index: 40 }, broken(), 3), /peer went away/)
    assert.ok(!(await r.has({ term: 2, index: 40 })))
    await r.settle()
    assert.deepEqual(fs.readdirSync(path.dirname(live)).sort(), ['db'])
  })

  it('receives one at a time: a second receive starts after the first has ended', async () => {
    const r = new ReceivedSnapshots(dataDir)
    const a = await sourceBody(path.join(root, 'a'), 40, 2000)
    const b = await sourceBody(path.join(root, 'b'), 50, 2000)
    const log: string[] = []
    await Promise.all([
      r.stage({ term: 2, index: 40 }, slowly(a, log, 'a'), 3),
      r.stage({ term: 2, index: 50 }, slowly(b, log, 'b'), 3),
    ])
    const firstB = log.findIndex((l) => l.startsWith('b:'))
    assert.equal(log.indexOf('a:end') < firstB, true, log.join(' '))
    // the older copy is dropped by the next receive only when it is at or below the floor
    assert.ok(await r.has({ term: 2, index: 40 }))
    assert.ok(await r.has({ term: 2, index: 50 }))
    await r.install({ term: 2, index: 50 })
    assert.ok(!(await r.has({ term: 2, index: 40 })), 'copies at or below the installed one are removed')
    assert.equal(await appliedOf(live), 50)
  })

  it('install fails clearly when the copy is missing, and leaves the live database', async () => {
    const r = new ReceivedSnapshots(dataDir)
    await assert.rejects(r.install({ term: 2, index: 40 }), /database received with snapshot 40 \(term 2\) is missing/)
    assert.equal(await appliedOf(live), 3)
  })

  it('settle puts db.old back when the swap stopped before the new database was in place', async () => {
    fs.renameSync(live, live + '.old')
    await new ReceivedSnapshots(dataDir).settle()
    assert.equal(await appliedOf(live), 3)
    assert.ok(!fs.existsSync(live + '.old'))
  })

  it('settle drops db.old when the new database is already in place', async () => {
    await sourceBody(live + '.old', 1, 1)
    await new ReceivedSnapshots(dataDir).settle()
    assert.equal(await appliedOf(live), 3)
    assert.ok(!fs.existsSync(live + '.old'))
  })
})
