import assert from 'node:assert/strict'
import { SharedIdServers } from '../helpers/interop.js'
import { ETCD, ETCDCTL, TSETCD, haveBinary, startEtcd, startTsetcd } from '../helpers/procs.js'
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
  const missing = [ETCD, ETCDCTL].filter((b) => !haveBinary(b))
  before(function () {
    if (missing.length) {
      console.log(`      skipped: ${missing.join(', ')} not installed (apt-get install etcd-server etcd-client)`)
      this.skip()
    }
  })

  let pool: SharedIdServers
  before(async () => {
    pool = await SharedIdServers.create()
  })
  after(() => pool?.cleanup())


  it('etcdctl prints the same against tsetcd as against etcd, and tsetcd prints what etcdctl prints', async () => {
    const [etcdA, ours] = await Promise.all([pool.start(startEtcd, true), pool.start(startTsetcd, false)])
    const [reference, etcdctlOnOurs] = await Promise.all([runScript(etcdctl, etcdA.endpoint, KV_SCRIPT), runScript(etcdctl, ours.endpoint, KV_SCRIPT)])
    await etcdA.kill9()
    const etcdB = await pool.start(startEtcd, true)
    const oursOnEtcd = await runScript(tsetcdClient, etcdB.endpoint, KV_SCRIPT)
    compare(reference, etcdctlOnOurs)
    compare(reference, oursOnEtcd)
  })
})
