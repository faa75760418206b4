import assert from 'node:assert/strict'
import { interopSuite } from '../helpers/interop.js'
import { ETCDCTL, TSETCD, startEtcd, startTsetcd } from '../helpers/procs.js'
import { runAuthScript, type AuthStepResult } from './auth-script.js'

const etcdctl = (args: string[]): [string, string[]] => [ETCDCTL, args]
const tsetcdClient = (args: string[]): [string, string[]] => [process.execPath, [TSETCD, ...args]]

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

describe('auth interop: tsetcd commands against etcd and tsetcd, compared with etcdctl', function () {
  this.timeout(600000)
  const servers = interopSuite()

  it('every step prints what etcdctl prints against etcd, and exits the same', async () => {
    const [etcdA, etcdB, ours] = await Promise.all([
      servers().start(startEtcd, true),
      servers().start(startEtcd, false),
      servers().start(startTsetcd, false),
    ])
    const [reference, oursOnOurs, oursOnEtcd] = await Promise.all([
      runAuthScript(etcdctl, etcdA.endpoint),
      runAuthScript(tsetcdClient, ours.endpoint),
      runAuthScript(tsetcdClient, etcdB.endpoint),
    ])
    compare(reference, oursOnEtcd)
    compare(reference, oursOnOurs)
  })
})
