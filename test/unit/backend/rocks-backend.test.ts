import assert from 'node:assert/strict'
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
