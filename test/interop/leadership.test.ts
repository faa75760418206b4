/**
 * `endpoint hashkv` and `move-leader` against a real etcd: tsetcd prints what etcdctl prints,
 * in every output format, and exits the same way.
 */
import assert from 'node:assert/strict'
import { startEtcd, type ServerProc } from '../helpers/procs.js'
import { sideBySide, skipWithoutEtcd } from './side-by-side.js'

describe('endpoint hashkv and move-leader against a real etcd', function () {
  this.timeout(120000)
  let etcd: ServerProc | undefined
  before(async function () {
    skipWithoutEtcd(this)
    etcd = await startEtcd()
  })
  after(() => etcd?.kill9())

  it('endpoint hashkv: the same output in every format, with --cluster and --rev', async () => {
    const ep = ['--endpoints', etcd!.endpoint]
    for (let i = 0; i < 5; i++) assert.equal((await sideBySide([...ep, 'put', `k${i}`, `v${i}`])).ours.code, 0)
    for (const w of ['simple', 'json', 'table', 'fields', 'protobuf'])
      for (const extra of [[], ['--cluster'], ['--rev', '3']]) {
        const args = [...ep, 'endpoint', 'hashkv', '-w', w, ...extra]
        const { theirs, ours } = await sideBySide(args)
        assert.deepEqual(ours, theirs, args.join(' '))
      }
    const future = await sideBySide([...ep, 'endpoint', 'hashkv', '--rev', '100000'])
    assert.deepEqual(future.ours, future.theirs)
    assert.equal(future.ours.code, 1)
  })

  it('move-leader: to itself, to an unknown member, bad arguments', async () => {
    const ep = ['--endpoints', etcd!.endpoint]
    const list = await sideBySide([...ep, 'member', 'list'])
    const id = list.theirs.stdout.split(',')[0]
    for (const args of [
      [...ep, 'move-leader', id],
      [...ep, 'move-leader', '1234abcd'],
      [...ep, 'move-leader', 'xyz'],
      [...ep, 'move-leader'],
      [...ep, 'move-leader', id, '-w', 'json'],
    ]) {
      const { theirs, ours } = await sideBySide(args)
      assert.deepEqual(ours, theirs, args.join(' '))
    }
    const self = await sideBySide([...ep, 'move-leader', id])
    assert.equal(self.ours.stdout, `Leadership transferred from ${id} to ${id}\n`)
  })
})
