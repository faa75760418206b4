/** --dial-timeout 0 and --command-timeout 0, as etcdctl takes them (Go durations and contexts). */
import assert from 'node:assert/strict'
import { freePorts, startEtcd, type ServerProc } from '../helpers/procs.js'
import { sideBySide, skipWithoutEtcd } from './side-by-side.js'

describe('timeouts of 0: tsetcd does what etcdctl does', function () {
  this.timeout(120000)
  let etcd: ServerProc | undefined
  before(async function () {
    skipWithoutEtcd(this)
    etcd = await startEtcd()
  })
  after(() => etcd?.kill9())

  it('--dial-timeout 0 sets no dial limit: commands work', async () => {
    for (const args of [
      ['put', 'k', 'v'],
      ['get', 'k'],
      ['member', 'list'],
      ['--dial-timeout=0s', 'get', 'k', '-w', 'json'],
      ['endpoint', 'status', '--dial-timeout', '0'],
    ]) {
      const { theirs, ours } = await sideBySide(['--endpoints', etcd!.endpoint, '--dial-timeout', '0', ...args])
      assert.equal(theirs.code, 0, `etcdctl ${args.join(' ')}: ${theirs.stderr}`)
      assert.deepEqual(ours, theirs, args.join(' '))
    }
  })

  it('--dial-timeout 0 to a dead endpoint: the command timeout ends the call', async () => {
    const [dead] = await freePorts(1)
    const started = Date.now()
    const { theirs, ours } = await sideBySide([
      '--endpoints',
      `127.0.0.1:${dead}`,
      '--dial-timeout',
      '0',
      '--command-timeout',
      '1s',
      'get',
      'k',
    ])
    assert.deepEqual(ours, theirs)
    assert.deepEqual(ours, { stdout: '', stderr: 'Error: context deadline exceeded', code: 1 })
    assert.ok(Date.now() - started >= 2000, 'each waited for its command timeout')
  })

  it('--command-timeout 0 is a context already past its deadline in etcdctl: both fail at once', async () => {
    const { theirs, ours } = await sideBySide([
      '--endpoints',
      etcd!.endpoint,
      '--command-timeout',
      '0',
      'put',
      'k',
      'v',
    ])
    assert.deepEqual(ours, theirs)
    assert.deepEqual(ours, { stdout: '', stderr: 'Error: context deadline exceeded', code: 1 })
  })
})
