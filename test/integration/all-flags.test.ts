import assert from 'node:assert/strict'
import fs from 'node:fs'
import http2 from 'node:http2'
import path from 'node:path'
import { EtcdClient } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { TSETCD, freePorts, removeDir, run, startTsetcd, tmpDir, type ServerProc } from '../helpers/procs.js'
import { defaultArgs, etcdFlags } from '../helpers/etcd-flags.js'

/** The systemd unit of the etcd guides (three hosts with TLS), as docs/USERS.md quotes it. */
const UNIT = `[Service]
Type=notify
ExecStart=/usr/local/bin/etcd --data-dir=/var/lib/etcd --name=master1 \\
  --cert-file=/etc/etcd/pki/server.pem --key-file=/etc/etcd/pki/server-key.pem \\
  --trusted-ca-file=/etc/etcd/pki/ca.pem \\
  --peer-cert-file=/etc/etcd/pki/peer.pem --peer-key-file=/etc/etcd/pki/peer-key.pem \\
  --peer-trusted-ca-file=/etc/etcd/pki/ca.pem \\
  --listen-peer-urls=https://192.168.255.131:2380 --initial-advertise-peer-urls=https://192.168.255.131:2380 \\
  --listen-client-urls=https://192.168.255.131:2379,http://127.0.0.1:2379 \\
  --advertise-client-urls=https://192.168.255.131:2379 \\
  --initial-cluster-token=etcd-cluster-0 \\
  --initial-cluster=master1=https://192.168.255.131:2380,master2=https://192.168.255.132:2380,master3=https://192.168.255.133:2380 \\
  --initial-cluster-state=new --heartbeat-interval=250 --election-timeout=2000
Restart=on-failure
`

function execStartArgs(unit: string): string[] {
  const line = unit
    .replace(/\\\n/g, ' ')
    .split('\n')
    .find((l) => l.startsWith('ExecStart='))!
  return line.slice('ExecStart='.length).trim().split(/\s+/).slice(1)
}

describe('tsetcd serve with every etcd flag', function () {
  this.timeout(60000)
  const dirs: string[] = []
  const servers: ServerProc[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.kill9()))
  })
  after(() => dirs.forEach(removeDir))

  it("starts with all of etcd 3.4's flags spelled out at their defaults", async () => {
    const dir = tmpDir('tsetcd-all-flags-')
    dirs.push(dir)
    const [cp, pp] = await freePorts(2)
    const member: Record<string, string> = {
      'data-dir': path.join(dir, 'data'),
      'listen-client-urls': `http://127.0.0.1:${cp}`,
      'advertise-client-urls': `http://127.0.0.1:${cp}`,
      'listen-peer-urls': `http://127.0.0.1:${pp}`,
      'initial-advertise-peer-urls': `http://127.0.0.1:${pp}`,
      'initial-cluster': `default=http://127.0.0.1:${pp}`,
    }
    const args = [
      ...defaultArgs(etcdFlags('3.4')).filter((a) => !(a.slice(2).split('=')[0] in member)),
      ...Object.entries(member).map(([k, v]) => `--${k}=${v}`),
    ]
    servers.push(await startTsetcd({ clientPort: cp, peerPort: pp, args }))
  })

  it("starts from the etcd guides' systemd unit (addresses and files made local)", async () => {
    const dir = tmpDir('tsetcd-unit-')
    dirs.push(dir)
    const pki = path.join(dir, 'pki')
    const init = await run(process.execPath, [
      TSETCD,
      'cert',
      'init',
      '--member',
      'master1=127.0.0.1',
      '--out-dir',
      pki,
    ])
    assert.equal(init.code, 0, init.stderr)
    fs.copyFileSync(path.join(pki, 'master1.pem'), path.join(pki, 'server.pem'))
    fs.copyFileSync(path.join(pki, 'master1-key.pem'), path.join(pki, 'server-key.pem'))
    fs.copyFileSync(path.join(pki, 'master1.pem'), path.join(pki, 'peer.pem'))
    fs.copyFileSync(path.join(pki, 'master1-key.pem'), path.join(pki, 'peer-key.pem'))
    const [cp, pp, hp] = await freePorts(3)
    const unit = UNIT.replace(/\/var\/lib\/etcd/g, path.join(dir, 'data'))
      .replace(/\/etc\/etcd\/pki/g, pki)
      .replace(/192\.168\.255\.131:2379/g, `127.0.0.1:${cp}`)
      .replace(/127\.0\.0\.1:2379/g, `127.0.0.1:${hp}`)
      .replace(/192\.168\.255\.131:2380/g, `127.0.0.1:${pp}`)
      .replace(/,master2=[^ ]*/, '') // one host of the three
    servers.push(await startTsetcd({ clientPort: hp, peerPort: pp, args: execStartArgs(unit) }))
  })

  it("--max-concurrent-streams is the client port's HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS", async () => {
    const s = await startTsetcd({ extraArgs: ['--max-concurrent-streams=3'] })
    servers.push(s)
    const session = http2.connect(s.clientUrl)
    try {
      const settings = await new Promise<http2.Settings>((resolve, reject) => {
        session.once('remoteSettings', resolve)
        session.once('error', reject)
      })
      assert.equal(settings.maxConcurrentStreams, 3)
    } finally {
      session.close()
    }
  })

  it("--experimental-warning-apply-duration: a slower apply logs etcd's warning", async () => {
    const s = await startTsetcd({ extraArgs: ['--experimental-warning-apply-duration=1ns'] })
    servers.push(s)
    const c = await EtcdClient.connect({ endpoints: [s.endpoint], dialTimeoutMs: 2000 })
    try {
      await c.call(KVService.Put, { key: Buffer.from('k'), value: Buffer.from('v') })
    } finally {
      c.close()
    }
    const deadline = Date.now() + 5000
    while (!/apply request took too long/.test(s.log()) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    const line = s
      .log()
      .split('\n')
      .find((l) => l.includes('apply request took too long'))
    assert.ok(line, s.log())
    assert.match(line, /"took":"[0-9.]+[nµm]?s"/)
    assert.match(line, /"expected-duration":"1ns"/)
  })
})
