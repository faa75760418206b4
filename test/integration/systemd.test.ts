/**
 * systemd Type=notify: READY=1 reaches $NOTIFY_SOCKET once the member serves, not before. A
 * small python listener stands in for systemd: it binds the datagram socket, prints each
 * message, and closes the descriptors systemd-notify passes for its barrier (as systemd does).
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { EtcdClient } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { TestCluster } from '../helpers/cluster.js'
import { removeDir, tmpDir, which } from '../helpers/procs.js'
import { waitFor } from '../helpers/wait.js'

const LISTENER = `
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("LISTENING", flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(64))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(0, len(data) - len(data) % 4, 4):
                os.close(int.from_bytes(data[i:i + 4], sys.byteorder))
    print("MSG " + msg.decode().replace("\\n", " "), flush=True)
`

describe('systemd readiness (Type=notify)', function () {
  this.timeout(120000)
  const python = which('python3')
  const notify = which('systemd-notify')
  before(function () {
    if (!python || !notify) {
      console.log(`      (skipped: needs python3 and systemd-notify on PATH)`)
      this.skip()
    }
  })

  let dir: string
  let listener: ChildProcess | undefined
  let cluster: TestCluster | undefined
  after(async () => {
    listener?.kill('SIGKILL')
    await cluster?.stopAll()
    cluster?.remove()
    if (dir) removeDir(dir)
  })

  it('sends READY=1 only once the member has a leader and serves', async () => {
    dir = tmpDir('tsetcd-notify-')
    const socketPath = path.join(dir, 'notify.sock')
    let received = ''
    listener = spawn(python!, ['-c', LISTENER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] })
    listener.stdout!.on('data', (d: Buffer) => (received += d.toString()))
    await waitFor(() => received.includes('LISTENING'), 10000, 'the notify socket')

    // A member of a three-member cluster, restarted while the other two are down: it listens
    // but cannot serve until one of them is back.
    cluster = await TestCluster.create(3)
    await Promise.all(cluster.members.map((m) => cluster!.ready(m)))
    await cluster.stopAll()
    const [m1, m2] = cluster.members
    await cluster.start(m1, { NOTIFY_SOCKET: socketPath })
    const health = async () => (await fetch(`http://${m1.endpoint}/health`)).status
    // Two election timeouts (500 ms each) without quorum: listening, unhealthy, not notified.
    const since = Date.now()
    await waitFor(async () => (await health()) === 503 && Date.now() - since > 1000, 10000, 'unhealthy', 100)
    assert.equal(await health(), 503)
    assert.doesNotMatch(received, /READY=1/)

    await cluster.start(m2)
    await waitFor(() => received.includes('READY=1'), 30000, 'READY=1', 50)
    // Notified: it serves a linearizable read.
    const c = await EtcdClient.connect({ endpoints: [m1.endpoint], dialTimeoutMs: 2000 })
    try {
      await c.call(KVService.Range, { key: Buffer.from('k') }, 2000)
    } finally {
      c.close()
    }
    assert.match(m1.proc!.log(), /"msg":"successfully notified init daemon"/)
    assert.equal(received.match(/READY=1/g)!.length, 1)
  })
})
