/**
 * etcdctl 3.3's forms: `cluster-health` and the --ca-file/--cert-file/--key-file names, run
 * with the real etcdctl in API v2 mode (etcd serving v2 with --enable-v2) and with tsetcd.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { TSETCD, freePorts, removeDir, run, startEtcd, tmpDir, waitReady, type ServerProc } from '../helpers/procs.js'
import { sideBySide, skipWithoutEtcd } from './side-by-side.js'

const V2 = { ETCDCTL_API: '2' }

describe('cluster-health and the old TLS flag names: tsetcd prints what etcdctl 3.3 printed', function () {
  this.timeout(120000)
  const servers: ServerProc[] = []
  let dir = ''
  const f = (name: string) => path.join(dir, 'pki', name)
  before(async function () {
    skipWithoutEtcd(this)
    dir = tmpDir('tsetcd-cluster-health-')
    const init = await run(process.execPath, [
      TSETCD,
      'cert',
      'init',
      '--member',
      'etcd=127.0.0.1',
      '--out-dir',
      path.join(dir, 'pki'),
    ])
    assert.equal(init.code, 0, init.stderr)
  })
  after(async () => {
    await Promise.all(servers.map((s) => s.kill9()))
    if (dir) removeDir(dir)
  })

  it('a healthy member: the same lines, exit status 0', async () => {
    const etcd = await startEtcd({ extraArgs: ['--enable-v2'] })
    servers.push(etcd)
    const { theirs, ours } = await sideBySide(['--endpoints', etcd.clientUrl, 'cluster-health'], V2)
    assert.equal(theirs.code, 0, theirs.stderr)
    assert.match(
      theirs.stdout,
      /^member [0-9a-f]+ is healthy: got healthy result from http:\/\/127\.0\.0\.1:\d+\ncluster is healthy\n$/,
    )
    assert.deepEqual(ours, theirs)
  })

  it('members that cannot be listed: "cluster may be unhealthy", exit status 4', async () => {
    const [dead] = await freePorts(1)
    const { theirs, ours } = await sideBySide([`--endpoints=http://127.0.0.1:${dead}`, 'cluster-health'], V2)
    assert.equal(ours.stdout, theirs.stdout)
    assert.equal(ours.stdout, 'cluster may be unhealthy: failed to list members\n')
    assert.equal(ours.code, 4)
    assert.equal(ours.code, theirs.code)
    assert.match(ours.stderr, /^Error: {2}\S/)
  })

  it('over TLS with --ca-file, --cert-file and --key-file: cluster-health as etcdctl 3.3, member list as etcdctl 3.4 with --cacert', async () => {
    const [cp, pp] = await freePorts(2)
    const url = `https://127.0.0.1:${cp}`
    const etcd = await startEtcd({
      clientPort: cp,
      peerPort: pp,
      ready: false,
      name: 'default',
      dataDir: path.join(dir, 'tls-data'),
      clientScheme: 'https',
      extraArgs: [
        '--cert-file',
        f('etcd.pem'),
        '--key-file',
        f('etcd-key.pem'),
        '--trusted-ca-file',
        f('ca.pem'),
        '--client-cert-auth',
        '--enable-v2',
      ],
    })
    servers.push(etcd)
    await waitReady(url, etcd.proc, etcd.log, 20000, {
      caFile: f('ca.pem'),
      certFile: f('client.pem'),
      keyFile: f('client-key.pem'),
    })
    const old = [
      `--ca-file=${f('ca.pem')}`,
      `--cert-file=${f('client.pem')}`,
      '--key-file',
      f('client-key.pem'),
      `--endpoints=${url}`,
    ]
    const health = await sideBySide([...old, 'cluster-health'], V2)
    assert.equal(health.theirs.code, 0, health.theirs.stderr)
    assert.deepEqual(health.ours, health.theirs)

    const v3 = await sideBySide([
      '--cacert',
      f('ca.pem'),
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
      `--endpoints=${url}`,
      'member',
      'list',
    ])
    const ours = await run(process.execPath, [TSETCD, ...old, 'member', 'list'])
    assert.equal(v3.theirs.code, 0, v3.theirs.stderr)
    assert.deepEqual({ stdout: ours.stdout, code: ours.code }, { stdout: v3.theirs.stdout, code: 0 })
    const mem = await run(process.execPath, [TSETCD, 'mem', 'li', ...old])
    assert.equal(mem.stdout, v3.theirs.stdout, 'old names after the command too')
  })
})
