/**
 * etcdctl 3.4 dials one endpoint by its whole URL for Maintenance calls and `--cluster`
 * commands, so the HTTP/2 :authority is "http://127.0.0.1:port", which node's HTTP/2 refuses
 * by itself. Against tsetcd serving http and https, these commands must work (or fail with
 * the method's own status), never with RST_STREAM PROTOCOL_ERROR.
 */
import assert from 'node:assert/strict'
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
  type RunResult,
  type ServerProc,
} from '../helpers/procs.js'

describe('etcdctl with URL endpoints (":authority: http://host:port") against tsetcd', function () {
  this.timeout(120_000)
  let dir = ''
  let member: ServerProc | undefined
  let httpUrl = ''
  let httpsUrl = ''
  const tlsFlags = (): string[] => ['--cacert', path.join(dir, 'pki', 'ca.pem')]

  before(async function () {
    if (!haveBinary(ETCDCTL)) {
      console.log(`      skipped: ${ETCDCTL} not installed (apt-get install etcd-client)`)
      this.skip()
    }
    dir = tmpDir('tsetcd-authority-')
    const init = await run(process.execPath, [
      TSETCD,
      'cert',
      'init',
      '--member',
      'default=127.0.0.1',
      '--out-dir',
      path.join(dir, 'pki'),
    ])
    assert.equal(init.code, 0, init.stderr)
    const [cp, hp, pp] = await freePorts(3)
    httpUrl = `http://127.0.0.1:${cp}`
    httpsUrl = `https://127.0.0.1:${hp}`
    const urls = `${httpUrl},${httpsUrl}`
    member = await startTsetcd({
      clientPort: cp,
      peerPort: pp,
      args: [
        '--name',
        'default',
        '--data-dir',
        path.join(dir, 'data'),
        '--listen-client-urls',
        urls,
        '--advertise-client-urls',
        urls,
        '--listen-peer-urls',
        `http://127.0.0.1:${pp}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${pp}`,
        '--initial-cluster',
        `default=http://127.0.0.1:${pp}`,
        '--cert-file',
        path.join(dir, 'pki', 'default.pem'),
        '--key-file',
        path.join(dir, 'pki', 'default-key.pem'),
      ],
    })
  })
  after(async () => {
    await member?.kill9()
    if (dir) removeDir(dir)
  })

  const etcdctl = (endpoint: string, ...args: string[]): Promise<RunResult> =>
    run(ETCDCTL, ['--endpoints', endpoint, ...tlsFlags(), '--command-timeout', '10s', ...args])

  function noProtocolError(r: RunResult): void {
    assert.doesNotMatch(r.stdout + r.stderr, /PROTOCOL_ERROR|RST_STREAM/, `${r.stdout}\n${userStderr(r.stderr)}`)
  }

  const endpoints = (): [string, string][] => [
    ['http://', httpUrl],
    // etcdctl dials a bare host:port with TLS when given --cacert.
    ['bare host:port', httpsUrl.slice('https://'.length)],
    ['https://', httpsUrl],
  ]

  for (const [label, idx] of [
    ['http://', 0],
    ['bare host:port', 1],
    ['https://', 2],
  ] as const) {
    it(`${label} endpoint: endpoint status, status --cluster, health --cluster, member list`, async () => {
      const ep = endpoints()[idx]![1]
      const status = await etcdctl(ep, 'endpoint', 'status')
      noProtocolError(status)
      assert.equal(status.code, 0, userStderr(status.stderr))
      assert.match(status.stdout, new RegExp(`^${ep.replace(/[.]/g, '\\.')}, [0-9a-f]+, `))

      const cluster = await etcdctl(ep, 'endpoint', 'status', '--cluster', '-w', 'json')
      noProtocolError(cluster)
      assert.equal(cluster.code, 0, userStderr(cluster.stderr))
      const rows = JSON.parse(cluster.stdout) as { Endpoint: string }[]
      assert.deepEqual(rows.map((r) => r.Endpoint).sort(), [httpUrl, httpsUrl])

      const health = await etcdctl(ep, 'endpoint', 'health', '--cluster')
      noProtocolError(health)
      assert.equal(health.code, 0, userStderr(health.stderr))
      for (const u of [httpUrl, httpsUrl])
        assert.match(health.stdout + health.stderr, new RegExp(`${u.replace(/[.]/g, '\\.')} is healthy`))

      const members = await etcdctl(ep, 'member', 'list')
      noProtocolError(members)
      assert.equal(members.code, 0, userStderr(members.stderr))
    })
  }

  for (const [label, idx] of [
    ['http://', 0],
    ['https://', 2],
  ] as const) {
    it(`${label} endpoint: every Maintenance call answers (defrag, hashkv, alarm list, move-leader, snapshot save)`, async () => {
      const ep = endpoints()[idx]![1]
      const defrag = await etcdctl(ep, 'defrag')
      noProtocolError(defrag)
      assert.equal(defrag.code, 0, userStderr(defrag.stderr))
      assert.match(defrag.stdout, /Finished defragmenting etcd member/)
      for (const args of [
        ['endpoint', 'hashkv'],
        ['alarm', 'list'],
        ['snapshot', 'save', path.join(dir, `snap-${idx}.db`)],
      ]) {
        const r = await etcdctl(ep, ...args)
        noProtocolError(r)
        assert.equal(r.code, 0, `${args.join(' ')}: ${userStderr(r.stderr)}`)
      }
      // A member ID that is not in the cluster: etcd's own refusal, not a transport error.
      const move = await etcdctl(ep, 'move-leader', '1234')
      noProtocolError(move)
      assert.notEqual(move.code, 0)
      assert.match(move.stderr, /bad leader transferee|not found/, userStderr(move.stderr))
    })
  }
})
