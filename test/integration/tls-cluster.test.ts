import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {
  ETCDCTL,
  TSETCD,
  freePorts,
  haveBinary,
  removeDir,
  run,
  startTsetcd,
  tmpDir,
  userStderr,
  type ServerProc,
} from '../helpers/procs.js'

/**
 * A three-member cluster secured as the etcd guides do it, with the certificates from
 * `tsetcd cert init`: client and peer mTLS on every member.
 */
describe('a three-member cluster with client and peer mTLS from cert init', function () {
  this.timeout(120000)
  let dir = ''
  let pki = ''
  const members: ServerProc[] = []
  const eps: string[] = []

  before(async function () {
    if (!haveBinary(ETCDCTL)) {
      console.log('      skipped: /usr/bin/etcdctl not installed (apt-get install etcd-client)')
      this.skip()
    }
    dir = tmpDir('tsetcd-tls-cluster-')
    pki = path.join(dir, 'pki')
    const init = await run(process.execPath, [
      TSETCD,
      'cert',
      'init',
      '--member',
      'm1=127.0.0.1,m2=127.0.0.1,m3=127.0.0.1',
      '--out-dir',
      pki,
    ])
    assert.equal(init.code, 0, init.stderr)
    const ports = await freePorts(6)
    const peer = (i: number) => `https://127.0.0.1:${ports[2 * i + 1]}`
    const initial = [0, 1, 2].map((i) => `m${i + 1}=${peer(i)}`).join(',')
    const f = (n: string) => path.join(pki, n)
    await Promise.all(
      [0, 1, 2].map(async (i) => {
        const name = `m${i + 1}`
        const cp = ports[2 * i]
        eps.push(`https://127.0.0.1:${cp}`)
        const s = await startTsetcd({
          clientPort: cp,
          peerPort: ports[2 * i + 1],
          ready: false,
          args: [
            '--name',
            name,
            '--data-dir',
            path.join(dir, name),
            '--listen-client-urls',
            `https://127.0.0.1:${cp}`,
            '--advertise-client-urls',
            `https://127.0.0.1:${cp}`,
            '--listen-peer-urls',
            peer(i),
            '--initial-advertise-peer-urls',
            peer(i),
            '--initial-cluster',
            initial,
            '--cert-file',
            f(`${name}.pem`),
            '--key-file',
            f(`${name}-key.pem`),
            '--trusted-ca-file',
            f('ca.pem'),
            '--client-cert-auth',
            '--peer-cert-file',
            f(`${name}.pem`),
            '--peer-key-file',
            f(`${name}-key.pem`),
            '--peer-trusted-ca-file',
            f('ca.pem'),
            '--peer-client-cert-auth',
            '--heartbeat-interval',
            '50',
            '--election-timeout',
            '500',
          ],
        })
        members[i] = s
      }),
    )
  })

  after(async () => {
    await Promise.all(members.map((m) => m.kill9()))
    if (dir) removeDir(dir)
  })

  const tlsFlags = () => [
    '--cacert',
    path.join(pki, 'ca.pem'),
    '--cert',
    path.join(pki, 'client.pem'),
    '--key',
    path.join(pki, 'client-key.pem'),
  ]

  async function until<T>(fn: () => Promise<T>, ok: (t: T) => boolean, ms = 20000): Promise<T> {
    const deadline = Date.now() + ms
    for (;;) {
      const r = await fn()
      if (ok(r) || Date.now() > deadline) return r
      await new Promise((res) => setTimeout(res, 200))
    }
  }

  it('replicates over mutual TLS: etcdctl with --cacert --cert --key writes on one member and reads on the others', async () => {
    const put = await until(
      () => run(ETCDCTL, ['--endpoints', eps[0], ...tlsFlags(), 'put', 'secure', 'yes']),
      (r) => r.code === 0,
    )
    assert.equal(put.stdout, 'OK\n', userStderr(put.stderr))
    for (const ep of eps.slice(1)) {
      const get = await run(ETCDCTL, ['--endpoints', ep, ...tlsFlags(), 'get', 'secure'])
      assert.equal(get.stdout, 'secure\nyes\n')
    }
    const ours = await run(process.execPath, [
      TSETCD,
      '--endpoints',
      eps.join(','),
      ...tlsFlags(),
      'get',
      'secure',
      '-w',
      'json',
    ])
    assert.equal(JSON.parse(ours.stdout).count, 1)
  })

  it('refuses a client without a certificate and one from another CA, and keeps serving', async () => {
    const other = path.join(dir, 'other')
    const init = await run(process.execPath, [TSETCD, 'cert', 'init', '--member', 'x=127.0.0.1', '--out-dir', other])
    assert.equal(init.code, 0)
    const noCert = await run(process.execPath, [
      TSETCD,
      '--endpoints',
      eps[1],
      '--cacert',
      path.join(pki, 'ca.pem'),
      '--dial-timeout',
      '1s',
      'get',
      'secure',
    ])
    assert.equal(noCert.code, 1)
    assert.match(noCert.stderr, /certificate required|client certificate/)
    const foreign = await run(process.execPath, [
      TSETCD,
      '--endpoints',
      eps[1],
      '--cacert',
      path.join(pki, 'ca.pem'),
      '--cert',
      path.join(other, 'client.pem'),
      '--key',
      path.join(other, 'client-key.pem'),
      '--dial-timeout',
      '1s',
      'get',
      'secure',
    ])
    assert.equal(foreign.code, 1)
    assert.match(foreign.stderr, /refused client certificate|unknown authority/)
    const good = await run(ETCDCTL, ['--endpoints', eps[1], ...tlsFlags(), 'get', 'secure', '--print-value-only'])
    assert.equal(good.stdout, 'yes\n')
  })

  it('keeps a member whose peer certificate comes from another CA out of the cluster', async () => {
    const other = path.join(dir, 'rogue')
    const init = await run(process.execPath, [TSETCD, 'cert', 'init', '--member', 'm3=127.0.0.1', '--out-dir', other])
    assert.equal(init.code, 0)
    // Same name, member ID and URLs as m3, but a peer certificate the cluster's CA did not sign.
    const m3 = members[2]
    const args = m3.proc.spawnargs.slice(3)
    await m3.stop()
    const rogueDir = path.join(dir, 'rogue-data')
    const swap = (flag: string, value: string) => {
      const i = args.indexOf(flag)
      args[i + 1] = value
    }
    swap('--data-dir', rogueDir)
    swap('--peer-cert-file', path.join(other, 'm3.pem'))
    swap('--peer-key-file', path.join(other, 'm3-key.pem'))
    swap('--peer-trusted-ca-file', path.join(other, 'ca.pem'))
    const port = Number(eps[2].split(':')[2])
    const peerPort = Number(args[args.indexOf('--listen-peer-urls') + 1].split(':')[2])
    const rogue = await startTsetcd({ args, clientPort: port, peerPort, ready: false })
    members[2] = rogue
    await new Promise((r) => setTimeout(r, 3000))
    const r = await run(ETCDCTL, [
      '--endpoints',
      eps[2],
      ...tlsFlags(),
      '--command-timeout',
      '2s',
      'get',
      'secure',
      '--consistency=s',
    ])
    assert.equal(r.stdout, '', 'the rogue member holds none of the cluster data')
    assert.match(
      rogue.log(),
      /cannot reach peer.*(self-signed certificate|unknown authority|certificate)/,
      'it fails the TLS handshake with its peers',
    )
    assert.ok(
      !fs.existsSync(path.join(rogueDir, 'member', 'snap')) ||
        fs.readdirSync(path.join(rogueDir, 'member', 'snap')).length === 0,
    )
    const good = await run(ETCDCTL, ['--endpoints', eps[0], ...tlsFlags(), 'put', 'still', 'ok'])
    assert.equal(good.stdout, 'OK\n', 'the two genuine members keep a quorum')
  })
})
