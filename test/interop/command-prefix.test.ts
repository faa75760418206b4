/**
 * etcdctl's command forms, run with etcdctl and with tsetcd against the same real etcd:
 * command prefixes (cobra's EnablePrefixMatching) and unknown commands.
 */
import assert from 'node:assert/strict'
import { ETCDCTL, run, startEtcd, type ServerProc } from '../helpers/procs.js'
import { sideBySide, skipWithoutEtcd } from './side-by-side.js'

const both = (endpoint: string, args: string[]) => sideBySide(['--endpoints', endpoint, ...args])

describe('command prefixes: tsetcd accepts what etcdctl accepts', function () {
  this.timeout(120000)
  let etcd: ServerProc | undefined
  before(async function () {
    skipWithoutEtcd(this)
    etcd = await startEtcd()
    await run(ETCDCTL, ['--endpoints', etcd.endpoint, 'put', 'pk', 'pv'])
  })
  after(() => etcd?.kill9())

  for (const args of [
    ['mem', 'li'],
    ['g', 'pk'],
    ['ge', 'pk', '-w', 'json'],
    ['le', 'li'],
    ['foo'],
    ['foo', 'bar'],
    ['COMPACT', '5'],
    ['compact'],
    ['lea', 'g'],
  ]) {
    it(`etcdctl ${args.join(' ')}`, async () => {
      const { theirs, ours } = await both(etcd!.endpoint, args)
      assert.deepEqual(ours, theirs)
    })
  }

  it('compact <rev> is compaction', async () => {
    const { theirs, ours } = await both(etcd!.endpoint, ['compact', '1'])
    assert.deepEqual(theirs, { stdout: 'compacted revision 1\n', stderr: '', code: 0 })
    assert.deepEqual(ours, {
      stdout: '',
      stderr: 'Error: etcdserver: mvcc: required revision has been compacted',
      code: 1,
    })
  })

  it("an ambiguous prefix is an unknown command (same first line and exit status; suggestions name tsetcd's commands)", async () => {
    const { theirs, ours } = await both(etcd!.endpoint, ['m'])
    assert.equal(ours.code, theirs.code)
    assert.equal(ours.stderr.split('\n')[0], theirs.stderr.split('\n')[0])
    // etcdctl names move-leader, member, make-mirror, migrate: tsetcd the ones it has, in that order
    assert.match(ours.stderr, /Did you mean this\?\n\tmove-leader\n\tmember\n/)
  })

  it("an unknown subcommand shows the group's help with exit status 0", async () => {
    const { theirs, ours } = await both(etcd!.endpoint, ['member', 'foo'])
    assert.equal(theirs.code, 0)
    assert.equal(ours.code, 0)
    assert.match(ours.stdout, /member list/)
  })
})
