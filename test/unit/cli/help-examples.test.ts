import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { REPO } from '../../helpers/procs.js'

describe('help: every command shows examples', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'oclif.manifest.json'), 'utf8')) as {
    commands: Record<string, { examples?: string[]; pluginName?: string }>
  }
  for (const [id, c] of Object.entries(manifest.commands)) {
    it(id, () => {
      assert.ok((c.examples ?? []).length > 0, `${id} has no examples`)
      for (const e of c.examples ?? []) assert.match(e, /<%= config\.bin %>/, `${id}: ${e}`)
    })
  }
})
