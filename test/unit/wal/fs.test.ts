import assert from 'node:assert/strict'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { nodeFs } from '../../../src/server/wal/fs.js'
import { mkdirDurable } from '../../../src/server/wal/index.js'
import { InstrumentedFs, removeDir, tempDir } from './helpers.js'

describe('mkdirDurable', () => {
  let root: string
  beforeEach(async () => {
    root = await tempDir('tsetcd-mkdir-')
  })
  afterEach(async () => removeDir(root))

  it('creates every missing component and fsyncs the parent of each one it created, top down', async () => {
    const fs = new InstrumentedFs()
    const leaf = path.join(root, 'data', 'member', 'wal')
    await mkdirDurable(fs, leaf)
    assert.ok((await fsp.stat(leaf)).isDirectory())
    assert.deepEqual(fs.syncedDirs, [root, path.join(root, 'data'), path.join(root, 'data', 'member')])
  })

  it('fsyncs only the parents of the components it created', async () => {
    await fsp.mkdir(path.join(root, 'data'))
    const fs = new InstrumentedFs()
    await mkdirDurable(fs, path.join(root, 'data', 'member', 'snap'))
    assert.deepEqual(fs.syncedDirs, [path.join(root, 'data'), path.join(root, 'data', 'member')])
  })

  it('fsyncs nothing when the directory exists, and fails on a file in the way', async () => {
    const fs = new InstrumentedFs()
    await mkdirDurable(fs, root)
    assert.deepEqual(fs.syncedDirs, [])
    await fsp.writeFile(path.join(root, 'file'), 'x')
    await assert.rejects(mkdirDurable(fs, path.join(root, 'file', 'sub')), /ENOTDIR/)
    assert.deepEqual(fs.syncedDirs, [])
  })
})

describe('nodeFs writeDurable', () => {
  let root: string
  beforeEach(async () => {
    root = await tempDir('tsetcd-dsync-')
  })
  afterEach(async () => removeDir(root))

  it('writes at the position through the file renamed since it was opened, next to plain writes', async () => {
    const a = path.join(root, 'a.tmp')
    const b = path.join(root, 'b')
    const f = await nodeFs.open(a, 'wx+')
    assert.ok(f.writeDurable, 'node files write durably in one call')
    await f.write(Buffer.alloc(16), 0, 16, 0)
    await fsp.rename(a, b)
    await f.writeDurable(Buffer.from('durable'), 4)
    await f.writeDurable(Buffer.from('!'), 16)
    const head = Buffer.alloc(4)
    await f.read(head, 0, 4, 0)
    await f.close()
    assert.deepEqual(head, Buffer.alloc(4))
    const bytes = await fsp.readFile(b)
    assert.equal(bytes.length, 17)
    assert.equal(bytes.subarray(4, 11).toString(), 'durable')
    assert.equal(bytes.subarray(16).toString(), '!')
  })
})
