/**
 * bin/tsetcd, the installed command, runs node with its V8 flags and glibc malloc's trim
 * threshold (README, "Performance"), without overriding a malloc setting the user made.
 *
 * What node was started with is read from inside it: a module preloaded through NODE_OPTIONS
 * prints node's flags, its arguments and the two malloc variables, and exits before tsetcd
 * runs. (/proc/<pid>/environ will not do: glibc rewrites GLIBC_TUNABLES in place as it
 * parses it, and that copy can lose all but the first tunable.)
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { REPO, removeDir, run, tmpDir } from '../helpers/procs.js'

const LAUNCHER = path.join(REPO, 'bin', 'tsetcd')
const TRIM = 'glibc.malloc.trim_threshold=131072'

interface Started {
  execArgv: string[]
  argv: string[]
  tunables?: string
  trim?: string
}

describe('bin/tsetcd', function () {
  this.timeout(60000)
  let dir: string
  let probe: string
  before(() => {
    dir = tmpDir('tsetcd-launcher-')
    probe = path.join(dir, 'probe.cjs')
    fs.writeFileSync(
      probe,
      `process.stdout.write(JSON.stringify({ execArgv: process.execArgv, argv: process.argv.slice(1),
        tunables: process.env.GLIBC_TUNABLES, trim: process.env.MALLOC_TRIM_THRESHOLD_ }), () => process.exit(0))\n`,
    )
  })
  after(() => removeDir(dir))

  async function launch(env: NodeJS.ProcessEnv): Promise<Started> {
    const r = await run(LAUNCHER, ['serve', '--version'], {
      env: { GLIBC_TUNABLES: undefined, MALLOC_TRIM_THRESHOLD_: undefined, ...env, NODE_OPTIONS: `--require ${probe}` },
    })
    assert.equal(r.code, 0, r.stderr)
    return JSON.parse(r.stdout) as Started
  }

  it("runs node with its V8 flags and keeps malloc's trim threshold at 128 KiB", async () => {
    const s = await launch({})
    assert.ok(s.execArgv.includes('--interrupt-budget=8448'), s.execArgv.join(' '))
    assert.ok(s.execArgv.includes('--max-semi-space-size=8'), s.execArgv.join(' '))
    assert.equal(s.execArgv.includes('--single-threaded-gc'), os.availableParallelism() <= 2, s.execArgv.join(' '))
    assert.deepEqual(s.argv, [path.join(REPO, 'bin', 'run.js'), 'serve', '--version'])
    assert.equal(s.tunables, TRIM)
  })

  it("adds the trim threshold to the user's other glibc tunables", async () => {
    const s = await launch({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' })
    assert.equal(s.tunables, `glibc.malloc.arena_max=4:${TRIM}`)
  })

  it('leaves a trim threshold the user set, as a tunable or in MALLOC_TRIM_THRESHOLD_', async () => {
    const tunables = 'glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=1048576'
    assert.equal((await launch({ GLIBC_TUNABLES: tunables })).tunables, tunables)
    const s = await launch({ MALLOC_TRIM_THRESHOLD_: '1048576' })
    assert.equal(s.tunables, undefined)
    assert.equal(s.trim, '1048576')
  })
})
