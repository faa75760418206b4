import assert from 'node:assert/strict'
import { interopSuite } from '../helpers/interop.js'
import { ETCDCTL, startEtcd, startTsetcd } from '../helpers/procs.js'
import { runAuthScript, type AuthStepResult } from './auth-script.js'

const etcdctl = (args: string[]): [string, string[]] => [ETCDCTL, args]

/** The endpoint's port differs between the two servers; everything else must not. */
const samePort = (r: AuthStepResult): AuthStepResult =>
  JSON.parse(JSON.stringify(r).replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT'))

function compare(expected: AuthStepResult[], actual: AuthStepResult[]): void {
  assert.equal(actual.length, expected.length)
  for (let i = 0; i < expected.length; i++)
    assert.deepEqual(samePort(actual[i]), samePort(expected[i]), `step ${i}: ${expected[i].args}`)
}

describe('auth interop: etcdctl against etcd and tsetcd', function () {
  this.timeout(300000)
  const servers = interopSuite()

  it('users, roles, auth enable, a prefix-limited user, wrong credentials, password change, auth disable: the same outputs', async () => {
    const [etcd, ours] = await Promise.all([servers().start(startEtcd, true), servers().start(startTsetcd, false)])
    const [reference, etcdctlOnOurs] = await Promise.all([
      runAuthScript(etcdctl, etcd.endpoint),
      runAuthScript(etcdctl, ours.endpoint),
    ])
    await etcd.kill9()
    compare(reference, etcdctlOnOurs)
  })
})
