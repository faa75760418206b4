/**
 * Installing on a host: `npm pack` gives a tarball that `npm install -g` turns into a working
 * `tsetcd` (built output and the oclif manifest inside, production dependencies only).
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { REPO, removeDir, run, startTsetcd, tmpDir, type ServerProc } from '../helpers/procs.js'

const NPM = 'npm'
/** npm failing for want of the registry (no network, nothing cached), not for the package. */
const NO_REGISTRY = /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET/

describe('npm pack and npm install -g', function () {
  this.timeout(300000)
  let dir: string
  let server: ServerProc | undefined
  before(() => {
    dir = tmpDir('tsetcd-pack-')
  })
  after(async () => {
    await server?.kill9()
    if (server) removeDir(server.dataDir)
    removeDir(dir)
  })

  it('packs the built program and its manifest, and no sources, tests or development files', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
    assert.equal(pkg.scripts.prepack, 'npm run build', 'npm pack builds first')
    // The tree is built already (the tests run from it): pack it as it is.
    const r = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      timeoutMs: 120000,
      env: { npm_config_update_notifier: 'false' },
    })
    assert.equal(r.code, 0, r.stderr)
    const [packed] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[]
    const files = packed.files.map((f) => f.path)
    for (const f of [
      'bin/run.js',
      'bin/tsetcd',
      'oclif.manifest.json',
      'dist/src/cli/main.js',
      'dist/src/commands/serve.js',
    ])
      assert.ok(files.includes(f), `${f} is in the package`)
    const stray = files.filter(
      (f) => /^(src|test|bench|scripts|dist\/test|dist\/bench)\//.test(f) || f === 'bin/dev.js',
    )
    assert.deepEqual(stray, [])
    assert.ok(fs.existsSync(path.join(dir, packed.filename)))
  })

  it('installs into a fresh prefix as a tsetcd that serves and whose client commands work', async function () {
    const tarball = fs.readdirSync(dir).find((f) => f.endsWith('.tgz'))
    assert.ok(tarball, 'the tarball from the previous test')
    const prefix = path.join(dir, 'prefix')
    const r = await run(
      NPM,
      ['install', '-g', '--prefix', prefix, path.join(dir, tarball), '--prefer-offline', '--no-audit', '--no-fund'],
      { timeoutMs: 240000, env: { npm_config_update_notifier: 'false' } },
    )
    if (r.code !== 0 && NO_REGISTRY.test(r.stderr)) {
      this.skip() // the npm registry is unreachable and the cache lacks the dependencies
    }
    assert.equal(r.code, 0, r.stderr)
    const bin = path.join(prefix, 'bin', 'tsetcd')
    assert.ok(fs.existsSync(bin), 'npm linked bin/tsetcd')
    // The installed copy resolves its own dependencies, not this tree's.
    const installed = path.join(prefix, 'lib', 'node_modules', 'tsetcd')
    assert.ok(fs.existsSync(path.join(installed, 'node_modules', '@nxtedition', 'rocksdb')))
    assert.ok(!fs.existsSync(path.join(installed, 'node_modules', 'typescript')), 'no development dependencies')

    server = await startTsetcd({ bin })
    const env = { PATH: `${path.dirname(bin)}:${process.env.PATH}` }
    const put = await run(bin, ['put', '--endpoints', server.endpoint, 'installed', 'yes'], { env })
    assert.equal(put.code, 0, put.stderr)
    assert.equal(put.stdout, 'OK\n')
    const get = await run(bin, ['get', '--endpoints', server.endpoint, 'installed'], { env })
    assert.equal(get.code, 0, get.stderr)
    assert.equal(get.stdout, 'installed\nyes\n')
    const version = await run(bin, ['version'], { env })
    assert.match(version.stdout, /^etcdctl version: /)
  })
})
