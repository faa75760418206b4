/** Colour on a terminal (a pseudo-terminal from util-linux `script`), none when piped. */
import assert from 'node:assert/strict'
import { TSETCD, freePorts, haveBinary, run } from '../helpers/procs.js'

const SCRIPT = '/usr/bin/script'
const RED = '\x1b[31m'
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** Runs tsetcd on a terminal; returns what the terminal got (stdout and stderr together). */
async function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await run(SCRIPT, ['-qec', [process.execPath, TSETCD, ...args].map(quote).join(' '), '/dev/null'], {
    env: { NO_COLOR: undefined, TERM: 'xterm', ...env },
  })
  return r.stdout
}

describe('colour: errors in red on a terminal only', function () {
  this.timeout(60000)
  before(function () {
    if (!haveBinary(SCRIPT)) {
      console.log('      skipped: script (util-linux) not installed')
      this.skip()
    }
  })

  it('an error is red on a terminal', async () => {
    const out = await onTerminal(['foo'])
    assert.ok(out.includes(`${RED}Error: unknown command "foo" for "etcdctl"`), JSON.stringify(out))
    const [dead] = await freePorts(1)
    const get = await onTerminal(['--endpoints', `127.0.0.1:${dead}`, '--dial-timeout', '300ms', 'get', 'k'])
    assert.ok(get.includes(`${RED}Error: context deadline exceeded`), JSON.stringify(get))
  })

  it('not with NO_COLOR, not with -w json, and never when piped', async () => {
    assert.equal((await onTerminal(['foo'], { NO_COLOR: '1' })).includes('\x1b['), false)
    const [dead] = await freePorts(1)
    const json = await onTerminal([
      '--endpoints',
      `127.0.0.1:${dead}`,
      '--dial-timeout',
      '300ms',
      'get',
      'k',
      '-w',
      'json',
    ])
    assert.ok(json.includes('Error: context deadline exceeded') && !json.includes('\x1b['), JSON.stringify(json))
    const piped = await run(process.execPath, [TSETCD, 'foo'], { env: { TERM: 'xterm' } })
    assert.equal(piped.stderr.includes('\x1b['), false)
  })
})
