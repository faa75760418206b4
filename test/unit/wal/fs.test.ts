import assert from 'node:assert/strict'
import fsp from 'node:fs/promises'
import path from 'node:path'
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
