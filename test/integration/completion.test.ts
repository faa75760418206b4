/**
 * Shell completion (bash, zsh) from @oclif/plugin-autocomplete: the plugin is named in
 * package.json's oclif.plugins and is active once it is installed as a dependency.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { REPO, TSETCD, removeDir, run, tmpDir } from '../helpers/procs.js'

function pluginInstalled(): boolean {
  try {
    createRequire(path.join(REPO, 'package.json')).resolve('@oclif/plugin-autocomplete')
    return true
  } catch {
    return false
  }
}

describe('shell completion', function () {
  this.timeout(60000)
  let cache = ''
  before(function () {
    if (!pluginInstalled()) {
      console.log('      skipped: @oclif/plugin-autocomplete not installed (npm install)')
      this.skip()
    }
    cache = tmpDir('tsetcd-completion-')
  })
  after(() => cache && removeDir(cache))

  const env = () => ({ XDG_CACHE_HOME: cache, TSETCD_CACHE_DIR: path.join(cache, 'tsetcd') })

  it('bash completes commands, topics and the global flags', async () => {
    const setup = await run(process.execPath, [TSETCD, 'autocomplete', 'script', 'bash'], { env: env() })
    assert.equal(setup.code, 0, setup.stderr)
    assert.match(setup.stdout, /TSETCD_AC_BASH_SETUP_PATH/)
    const refresh = await run(process.execPath, [TSETCD, 'autocomplete', '--refresh-cache'], { env: env() })
    assert.equal(refresh.code, 0, refresh.stderr)
    const fn = path.join(cache, 'tsetcd', 'autocomplete', 'functions', 'bash', 'tsetcd.bash')
    assert.ok(fs.existsSync(fn))
    const complete = (words: string[]) => {
      const script = `source ${fn}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMP_LINE='${words.join(' ')}'; _tsetcd_autocomplete; echo "\${COMPREPLY[@]}"`
      return spawnSync('bash', ['-c', script]).stdout.toString().trim()
    }
    // One candidate (the plugin lists a topic once per command in it; bash shows it once).
    assert.deepEqual([...new Set(complete(['tsetcd', 'mem']).split(/\s+/))], ['member'])
    assert.match(complete(['tsetcd', 'member', 'list', '--endp']), /--endpoints/)
  })

  it('zsh: a completion function naming the commands', async () => {
    await run(process.execPath, [TSETCD, 'autocomplete', '--refresh-cache'], { env: env() })
    const fn = path.join(cache, 'tsetcd', 'autocomplete', 'functions', 'zsh', '_tsetcd')
    const text = fs.readFileSync(fn, 'utf8')
    assert.match(text, /#compdef tsetcd/)
    for (const c of ['member', 'endpoint', 'cluster-health', 'get']) assert.ok(text.includes(c), c)
  })
})
