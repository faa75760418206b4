import assert from 'node:assert/strict'
import { interopSuite } from '../helpers/interop.js'
import { ETCDCTL, TSETCD, startEtcd, startTsetcd } from '../helpers/procs.js'
import { KV_SCRIPT, runScript, type StepResult } from './kv-script.js'

const etcdctl = (args: string[]): [string, string[]] => [ETCDCTL, args]
const tsetcdClient = (args: string[]): [string, string[]] => [process.execPath, [TSETCD, ...args]]

function compare(expected: StepResult[], actual: StepResult[]): void {
  assert.equal(actual.length, expected.length)
  for (let i = 0; i < expected.length; i++) {
    assert.deepEqual(actual[i], expected[i], `step ${i}: ${expected[i].args}`)
  }
}

describe('KV interop: etcdctl and tsetcd, against etcd and tsetcd', function () {
  this.timeout(180000)
  const servers = interopSuite()

  it('etcdctl prints the same against tsetcd as against etcd, and tsetcd prints what etcdctl prints', async () => {
    const [etcdA, etcdB, ours] = await Promise.all([
      servers().start(startEtcd, true),
      servers().start(startEtcd, false),
      servers().start(startTsetcd, false),
    ])
    const [reference, etcdctlOnOurs, oursOnEtcd] = await Promise.all([
      runScript(etcdctl, etcdA.endpoint, KV_SCRIPT),
      runScript(etcdctl, ours.endpoint, KV_SCRIPT),
      runScript(tsetcdClient, etcdB.endpoint, KV_SCRIPT),
    ])
    compare(reference, etcdctlOnOurs)
    compare(reference, oursOnEtcd)
  })
})
