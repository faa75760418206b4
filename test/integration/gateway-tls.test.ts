/**
 * The JSON gateway on a TLS client port, next to gRPC: curl over HTTP/2 (ALPN h2) and over
 * HTTP/1.1, unary calls and a watch stream, and etcdctl on the same port.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { soloCert, type CertFiles } from '../helpers/certs.js'
import {
  ETCDCTL,
  freePorts,
  haveBinary,
  removeDir,
  run,
  startTsetcd,
  tmpDir,
  waitReady,
  type ServerProc,
} from '../helpers/procs.js'

describe('JSON gateway over TLS', function () {
  this.timeout(120000)
  let dir = ''
  let certs: CertFiles
  let member: ServerProc
  let url = ''

  before(async function () {
    if (!haveBinary('curl')) {
      console.log('      skipped: curl not installed')
      this.skip()
    }
    dir = tmpDir('tsetcd-gw-tls-')
    certs = await soloCert(dir, 'server')
    const [cp, pp] = await freePorts(2)
    url = `https://127.0.0.1:${cp}`
    member = await startTsetcd({
      clientPort: cp,
      peerPort: pp,
      ready: false,
      args: [
        '--data-dir',
        path.join(dir, 'data'),
        '--listen-client-urls',
        url,
        '--advertise-client-urls',
        url,
        '--listen-peer-urls',
        `http://127.0.0.1:${pp}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${pp}`,
        '--initial-cluster',
        `default=http://127.0.0.1:${pp}`,
        '--cert-file',
        certs.cert,
        '--key-file',
        certs.key,
      ],
    })
    await waitReady(url, member.proc, member.log, 20000, { caFile: certs.ca })
  })
  after(async () => {
    await member?.stop()
    if (dir) removeDir(dir)
  })

  const curl = async (version: '--http2' | '--http1.1', p: string, body: string) => {
    const r = await run('curl', [
      '-sS',
      version,
      '--cacert',
      certs.ca,
      '-w',
      '\n%{http_version} %{http_code}',
      '-X',
      'POST',
      `${url}${p}`,
      '-d',
      body,
    ])
    assert.equal(r.code, 0, r.stderr)
    return r.stdout
  }

  for (const version of ['--http2', '--http1.1'] as const) {
    it(`answers unary calls over ${version.slice(2)}`, async () => {
      const v = version === '--http2' ? '2' : '1.1'
      const put = await curl(version, '/v3/kv/put', `{"key": "dGxz", "value": "${Buffer.from(v).toString('base64')}"}`)
      assert.match(
        put,
        new RegExp(
          `^\\{"header":\\{"cluster_id":"\\d+","member_id":"\\d+","revision":"\\d+","raft_term":"\\d+"\\}\\}\\n${v.replace('.', '\\.')} 200$`,
        ),
      )
      const got = await curl(version, '/v3/kv/range', '{"key": "dGxz"}')
      assert.match(
        got,
        new RegExp(`"kvs":\\[\\{"key":"dGxz",.*"value":"${Buffer.from(v).toString('base64')}"\\}\\],"count":"1"\\}\\n`),
      )
      const bad = await curl(version, '/v3/kv/range', '{"key": ""}')
      assert.equal(
        bad,
        `{"error":"etcdserver: key is not provided","message":"etcdserver: key is not provided","code":3}\n${v} 400`,
      )
    })

    it(`streams a watch over ${version.slice(2)}`, async () => {
      const child = spawn(
        'curl',
        [
          '-sS',
          '-N',
          version,
          '--cacert',
          certs.ca,
          '-X',
          'POST',
          `${url}/v3/watch`,
          '-d',
          '{"create_request": {"key": "d2F0Y2g="}}',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      try {
        let out = ''
        const lines = (n: number) =>
          new Promise<string[]>((resolve, reject) => {
            const check = () => {
              const ls = out.split('\n')
              if (ls.length > n) resolve(ls.slice(0, n))
            }
            child.stdout.on('data', (d: Buffer) => {
              out += d.toString()
              check()
            })
            child.on('close', () => reject(new Error(`curl ended: ${out}`)))
            check()
          })
        const [created] = await lines(1)
        assert.match(created, /"created":true\}\}$/)
        await curl(version, '/v3/kv/put', '{"key": "d2F0Y2g=", "value": "eA=="}')
        const [, event] = await lines(2)
        assert.match(
          event,
          /"events":\[\{"kv":\{"key":"d2F0Y2g=","create_revision":"\d+","mod_revision":"\d+","version":"\d+","value":"eA=="\}\}\]\}\}$/,
        )
      } finally {
        child.kill('SIGKILL')
      }
    })
  }

  it('serves gRPC on the same port (etcdctl)', async function () {
    if (!haveBinary(ETCDCTL)) this.skip()
    const r = await run(ETCDCTL, ['--endpoints', url, '--cacert', certs.ca, 'get', 'tls', '--print-value-only'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '1.1\n')
  })
})
