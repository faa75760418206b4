import assert from 'node:assert/strict'
import { ETCD, ETCDCTL, TSETCD, freePorts, haveBinary, removeDir, startEtcd, startTsetcd, tmpDir, type ServerProc } from '../helpers/procs.js'
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

  const servers: ServerProc[] = []
  const dirs: string[] = []
  after(async () => {
    await Promise.all(servers.map((s) => s.kill9()))
    for (const d of dirs) removeDir(d)
  })

  /**
   * Fresh servers sharing name and advertised peer URL, hence member and cluster IDs, so
   * their outputs can be compared byte for byte. Only one etcd can own the peer URL at a time.
   */
  async function fresh(start: typeof startEtcd, peer: number, ownPeer: boolean): Promise<ServerProc> {
    const dir = tmpDir('tsetcd-interop-')
    dirs.push(dir)
    const [cp, pp] = await freePorts(2)
    const s = await start({
      args: [
        '--name', 'default', '--data-dir', `${dir}/data`,
        '--listen-client-urls', `http://127.0.0.1:${cp}`, '--advertise-client-urls', `http://127.0.0.1:${cp}`,
        '--listen-peer-urls', `http://127.0.0.1:${ownPeer ? peer : pp}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`, '--initial-cluster', `default=http://127.0.0.1:${peer}`,
      ],
      clientPort: cp,
      peerPort: ownPeer ? peer : pp,
    })
    servers.push(s)
    return s
  }

  it('etcdctl prints the same against tsetcd as against etcd, and tsetcd prints what etcdctl prints', async () => {
    const [peer] = await freePorts(1)
    const [etcdA, ours] = await Promise.all([fresh(startEtcd, peer, true), fresh(startTsetcd, peer, false)])
    const [reference, etcdctlOnOurs] = await Promise.all([runScript(etcdctl, etcdA.endpoint, KV_SCRIPT), runScript(etcdctl, ours.endpoint, KV_SCRIPT)])
    await etcdA.kill9()
    const etcdB = await fresh(startEtcd, peer, true)
    const oursOnEtcd = await runScript(tsetcdClient, etcdB.endpoint, KV_SCRIPT)
    compare(reference, etcdctlOnOurs)
    compare(reference, oursOnEtcd)
  })
})
