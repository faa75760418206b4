/**
 * The WAL lock and processes that are gone but not yet reaped. A process killed with -9 stays
 * in the process table as a zombie (state Z) until its parent waits for it; kill(pid, 0)
 * still succeeds on it, yet it holds nothing.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { Wal } from '../../src/server/wal/index.js'
import { procState } from '../../src/server/wal/lock.js'
import { removeDir, tmpDir } from '../helpers/procs.js'

const META = new Uint8Array([1])

async function stateOf(pid: number): Promise<string | undefined> {
  const stat = await fsp.readFile(`/proc/${pid}/stat`, 'latin1').catch(() => undefined)
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

describe('wal lock', function () {
  this.timeout(30000)
  let dir: string
  beforeEach(async () => {
    dir = tmpDir('tsetcd-wal-lock-')
  })
  afterEach(async () => removeDir(dir))

  it('reads the state field of /proc/<pid>/stat, whatever the command name holds', () => {
    // A command name may hold spaces and parentheses; the state follows the last ')'.
    const line = '4242 (a) b (c)) Z 1 4242 4242 0 -1 4228100 0 0 0 0 0 0 0 0 20 0 1 0 123456 0 0'
    assert.equal(procState(line), 'Z')
    assert.equal(procState('17 (node) S 1 17 17 0 -1 4194560 1 0 0 0'), 'S')
    assert.equal(procState('garbage'), undefined)
  })

  it('takes over the lock of a killed holder that its parent has not reaped (a zombie)', async function () {
    if ((await stateOf(process.pid)) === undefined) this.skip() // no /proc
    const walDir = path.join(dir, 'wal')
    await (await Wal.create(walDir, META, { segmentSize: 4096 })).close()
    const lockJs = new URL('../../src/server/wal/lock.js', import.meta.url).href
    const fsJs = new URL('../../src/server/wal/fs.js', import.meta.url).href
    const holderScript =
      `import { WalLock } from ${JSON.stringify(lockJs)}; import { nodeFs } from ${JSON.stringify(fsJs)};` +
      `await WalLock.acquire(nodeFs, ${JSON.stringify(walDir)}); console.log('locked'); setInterval(() => {}, 1000)`
    // sh starts the holder in the background, prints its PID and becomes `sleep`, which never
    // waits for children: once the holder is killed it stays a zombie until `sleep` ends.
    const sh = spawn(
      'sh',
      ['-c', '"$1" --input-type=module -e "$0" & echo $!; exec sleep 60', holderScript, process.execPath],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    try {
      let out = ''
      sh.stdout.setEncoding('utf8')
      await new Promise<void>((resolve, reject) => {
        sh.stdout.on('data', (d: string) => {
          out += d
          if (out.includes('locked\n')) resolve()
        })
        sh.on('exit', () => reject(new Error(`sh exited early: ${out}`)))
      })
      const holder = Number(out.split('\n')[0])
      assert.ok(Number.isSafeInteger(holder) && holder > 0, out)
      await assert.rejects(Wal.open(walDir, { index: 0, term: 0 }), /locked by pid/, 'the live holder keeps the lock')
      process.kill(holder, 'SIGKILL')
      while ((await stateOf(holder)) !== 'Z') await pause(20)
      assert.equal(await stateOf(holder), 'Z', 'the holder is a zombie')
      const opened = await Wal.open(walDir, { index: 0, term: 0 })
      await opened.wal.close()
    } finally {
      sh.kill('SIGKILL')
    }
  })
})
