import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { globalFlags } from '../../../src/cli/base.js'
import { REPO, TSETCD, run } from '../../helpers/procs.js'

/** Commands that are not etcdctl's: the server and the certificate authority. */
const NOT_ETCDCTL = (id: string) => id === 'serve' || id.startsWith('cert:') || id.startsWith('autocomplete')

describe('global flags: every etcdctl command takes them (etcdctl ignores those it does not use)', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'oclif.manifest.json'), 'utf8')) as {
    commands: Record<string, { flags: Record<string, unknown> }>
  }
  const ids = Object.keys(manifest.commands).filter((id) => !NOT_ETCDCTL(id))

  it('lists the client commands', () => assert.ok(ids.includes('version') && ids.includes('member:list')))

  for (const id of ids) {
    it(id, () => {
      const missing = Object.keys(globalFlags).filter((f) => !(f in manifest.commands[id].flags))
      assert.deepEqual(missing, [])
    })
  }

  it('version --endpoints=… --dial-timeout=7s prints the version', async () => {
    const r = await run(process.execPath, [
      TSETCD,
      'version',
      '--endpoints=127.0.0.1:1',
      '--dial-timeout=7s',
      '--ca-file',
      'none.pem',
    ])
    assert.equal(r.stderr, '')
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^etcdctl version: \S+\nAPI version: \S+\n$/)
  })
})
