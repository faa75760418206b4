import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Backend } from '../../../src/server/backend/backend.js'
import { RocksBackend } from '../../../src/server/backend/rocks-backend.js'
import { backendConformance } from './conformance.js'

backendConformance('RocksBackend', () => {
  let dir = ''
  const location = (): string => RocksBackend.dbDir(dir)
  return {
    open: async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsetcd-rocks-'))
      return RocksBackend.open(location())
    },
    reopen: async (b: Backend) => {
      await b.close()
      return RocksBackend.open(location())
    },
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  }
})

describe('RocksBackend', () => {
  it('lives at <data-dir>/member/db and creates the directories', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsetcd-rocks-'))
    try {
      const loc = RocksBackend.dbDir(dataDir)
      assert.equal(loc, path.join(dataDir, 'member', 'db'))
      const db = await RocksBackend.open(loc)
      const w = db.batch()
      w.put(Buffer.from('k'), Buffer.from('v'))
      w.write({ sync: true })
      await db.close()
      const files = await fs.readdir(loc)
      assert.ok(files.includes('CURRENT'), `files: ${files.join(' ')}`)
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('RocksBackend: a write without sync', () => {
  let dataDir = ''
  let db: RocksBackend | undefined
  const k = (s: string): Buffer => Buffer.from(s)

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsetcd-rocks-'))
    db = await RocksBackend.open(RocksBackend.dbDir(dataDir))
  })
  afterEach(async () => {
    await db?.close()
    db = undefined
    await fs.rm(dataDir, { recursive: true, force: true })
  })

  const put = (key: string, value: string): void => {
    const w = db!.batch()
    w.put(k(key), k(value))
    w.write()
  }

  it('is seen at once by every read, in the same turn, in write order', async () => {
    put('a', '1')
    assert.deepEqual(db!.getSync([k('a')]), [k('1')])
    put('a', '2')
    put('b', '3')
    const read = db!.get([k('a'), k('b')])
    const scan: Buffer[][] = []
    for await (const chunk of db!.iterate(k('a'), k('c'))) for (const [key, v] of chunk) scan.push([key, v])
    assert.deepEqual(await read, [k('2'), k('3')])
    assert.deepEqual(scan, [
      [k('a'), k('2')],
      [k('b'), k('3')],
    ])
  })

  it('counts in the size at once', () => {
    const before = db!.size()
    const w = db!.batch()
    w.put(k('big'), Buffer.alloc(100_000))
    w.write()
    assert.ok(db!.size() >= before + 100_000, `size ${before} -> ${db!.size()}`)
  })

  it('is kept by a defragmentation that starts in the same turn', async () => {
    put('x', 'before')
    await db!.defrag()
    assert.deepEqual(db!.getSync([k('x')]), [k('before')])
  })

  it('made while a defragmentation copies, is kept by the swap in the same turn', async () => {
    await db!.defrag(async (swap) => {
      put('y', 'during')
      await swap()
    })
    assert.deepEqual(db!.getSync([k('y')]), [k('during')])
  })

  it('is kept by a close in the same turn', async () => {
    put('c', 'closing')
    await db!.close()
    db = await RocksBackend.open(RocksBackend.dbDir(dataDir))
    assert.deepEqual(db.getSync([k('c')]), [k('closing')])
  })

  it('reaches RocksDB by the end of the turn with nothing else touching the backend (survives kill -9)', async () => {
    await db!.close()
    db = undefined
    // The child writes one batch without sync, lets one turn of its event loop pass, and kills
    // itself: the batch must be in RocksDB's log (in the page cache) by then.
    const mod = new URL('../../../src/server/backend/rocks-backend.js', import.meta.url).href
    const script = `
      const { RocksBackend } = await import(${JSON.stringify(mod)})
      const db = await RocksBackend.open(${JSON.stringify(RocksBackend.dbDir(dataDir))})
      const w = db.batch()
      w.put(Buffer.from('killed'), Buffer.from('kept'))
      w.write()
      setImmediate(() => setImmediate(() => process.kill(process.pid, 'SIGKILL')))
    `
    await runUntilKilled(script)
    db = await RocksBackend.open(RocksBackend.dbDir(dataDir))
    assert.deepEqual(db.getSync([k('killed')]), [k('kept')])
  })

  it("writes RocksDB's own WAL uncompressed", async () => {
    assert.equal(await walCompression(RocksBackend.dbDir(dataDir)), 'kNoCompression')
  })

  it('opens a database left with unflushed writes in a ZSTD-compressed WAL (the binding default, earlier builds)', async () => {
    await db!.close()
    db = undefined
    // The child opens the database as builds before did (the binding's default: WAL records
    // compressed with ZSTD), writes without sync and is killed: the write is in RocksDB's WAL
    // alone, not in any SST file.
    const binding = new URL('../../../src/server/backend/rocks-binding.js', import.meta.url).href
    const backend = new URL('../../../src/server/backend/rocks-backend.js', import.meta.url).href
    const loc = RocksBackend.dbDir(dataDir)
    const script = `
      const { RocksLevel } = await import(${JSON.stringify(binding)})
      const { ROCKS_OPTIONS } = await import(${JSON.stringify(backend)})
      const db = new RocksLevel(${JSON.stringify(loc)}, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
      await db.open({ ...ROCKS_OPTIONS, walCompression: true })
      for (let i = 0; i < 100; i++) {
        const b = db.batch()
        b._put(Buffer.from('zstd-' + i), Buffer.from('value ' + i + ' '.repeat(200)), {})
        b._writeSync({ sync: i === 99 })
      }
      process.kill(process.pid, 'SIGKILL')
    `
    await runUntilKilled(script)
    assert.equal(await walCompression(loc), 'kZSTD', 'the child wrote its WAL compressed')
    db = await RocksBackend.open(loc)
    const keys = Array.from({ length: 100 }, (_, i) => k(`zstd-${i}`))
    assert.deepEqual(
      db.getSync(keys),
      Array.from({ length: 100 }, (_, i) => k(`value ${i}${' '.repeat(200)}`)),
    )
    assert.equal(await walCompression(loc), 'kNoCompression', 'reopened with its WAL uncompressed')
  })
})

/** Runs `script` (an ES module) in a child node that must end by SIGKILL. */
async function runUntilKilled(script: string): Promise<void> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)))
  assert.equal(signal, 'SIGKILL', `child stderr: ${err}`)
}

/** wal_compression in the newest OPTIONS file RocksDB wrote in `location` (at each open). */
async function walCompression(location: string): Promise<string | undefined> {
  const files = (await fs.readdir(location)).filter((f) => /^OPTIONS-\d+$/.test(f))
  files.sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
  const text = await fs.readFile(path.join(location, files[files.length - 1]!), 'utf8')
  return /^\s*wal_compression=(\S+)$/m.exec(text)?.[1]
}
