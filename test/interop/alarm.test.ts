/**
 * `alarm list`, `alarm disarm` and `defrag` of tsetcd's client print what etcdctl prints, against
 * a real etcd whose small quota raised NOSPACE.
 */
import assert from 'node:assert/strict'
import {
  ETCD,
  ETCDCTL,
  haveBinary,
  removeDir,
  run,
  runTsetcd,
  startEtcd,
  type RunResult,
  type ServerProc,
} from '../helpers/procs.js'

const BIG = 'x'.repeat(200 * 1024)
const same = (r: RunResult) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr.replace(/127\.0\.0\.1:\d+/g, 'EP') })

describe('alarm and defrag output: tsetcd prints what etcdctl prints, against a real etcd', function () {
  this.timeout(120000)
  let etcd: ServerProc | undefined
  before(async function () {
    if (!haveBinary(ETCD) || !haveBinary(ETCDCTL)) this.skip() // nothing to compare against
    etcd = await startEtcd({ extraArgs: ['--quota-backend-bytes', '3000000'] })
  })
  after(async () => {
    if (!etcd) return
    await etcd.stop()
    removeDir(etcd.dataDir)
  })

  const both = async (args: string[]) => {
    const ep = ['--endpoints', etcd!.endpoint]
    return [await run(ETCDCTL, [...ep, ...args]), await runTsetcd([...ep, ...args])]
  }
  /** Puts big values until etcd raises NOSPACE. */
  const fill = async (from: number) => {
    for (let i = from; i < from + 60; i++) {
      const r = await run(ETCDCTL, ['--endpoints', etcd!.endpoint, 'put', `big/${i}`], { input: BIG })
      if (r.code !== 0) {
        assert.match(r.stderr, /database space exceeded/)
        return
      }
    }
    assert.fail('the quota never refused a put')
  }

  it('alarm list, defrag and alarm disarm', async () => {
    const [emptyTheirs, emptyOurs] = await both(['alarm', 'list'])
    assert.deepEqual(same(emptyOurs), same(emptyTheirs))
    await fill(0)
    for (const args of [['alarm', 'list'], ['alarm', 'list', '-w', 'json'], ['defrag']]) {
      const [theirs, ours] = await both(args)
      assert.match(theirs.stdout + theirs.stderr, /NOSPACE|"alarm":1|Finished defragmenting/)
      assert.deepEqual(same(ours), same(theirs), args.join(' '))
    }
    // Each disarm lifts the alarm; a put over the quota raises it again for the next one.
    const theirs = await run(ETCDCTL, ['--endpoints', etcd!.endpoint, 'alarm', 'disarm'])
    await fill(100)
    const ours = await runTsetcd(['--endpoints', etcd!.endpoint, 'alarm', 'disarm'])
    assert.match(theirs.stdout, /alarm:NOSPACE/)
    assert.deepEqual(same(ours), same(theirs))
    const [afterTheirs, afterOurs] = await both(['alarm', 'list'])
    assert.equal(afterTheirs.stdout, '')
    assert.deepEqual(same(afterOurs), same(afterTheirs))
  })
})
