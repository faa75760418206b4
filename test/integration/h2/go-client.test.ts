/**
 * Conformance with etcd's Go client: kvbench (clientv3 under load) and the real etcdctl.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import {
  ETCDCTL,
  haveBinary,
  KVBENCH,
  run,
  snapshotBlob,
  startTestServer,
  tmpDir,
  type TestServer,
} from '../../helpers/h2-harness.js'

interface KvbenchResult {
  ops: number
  errors: number
  qps: number
  first_error?: string
}

async function kvbench(port: number, args: string[]): Promise<KvbenchResult> {
  const r = await run(KVBENCH, ['-endpoints', `127.0.0.1:${port}`, ...args], { timeoutMs: 90_000 })
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as KvbenchResult
}

describe('h2 GrpcServer with Go clients', function () {
  this.timeout(120_000)
  let t: TestServer
  let dir: string
  before(async () => {
    t = await startTestServer()
    dir = tmpDir('tsetcd-h2-go-')
  })
  after(async () => {
    await t.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  describe('kvbench (clientv3)', () => {
    before(function () {
      if (!haveBinary(KVBENCH)) {
        console.log(
          `      skipped: kvbench not found (build it with the shared bench's build.sh and set KVBENCH to its path; .ci/run does)`,
        )
        this.skip()
      }
    })

    it('20000 puts from 200 workers over 2 connections: all succeed and land', async () => {
      const before = t.puts()
      const r = await kvbench(t.port, [
        '-op',
        'put',
        '-conns',
        '2',
        '-clients',
        '200',
        '-total',
        '20000',
        '-val-size',
        '256',
        '-key-size',
        '12',
        '-key-space',
        '5000',
      ])
      assert.equal(r.errors, 0, r.first_error)
      assert.equal(r.ops, 20000)
      assert.equal(t.puts() - before, 20000)
      const written = [...t.store.entries()].filter(([k]) => /^\d{12}$/.test(k))
      assert.ok(written.length > 4000 && written.length <= 5000, `${written.length} distinct keys`)
      assert.ok(written.every(([, v]) => v.equals(Buffer.alloc(256, 'v'))))
    })

    it('range reads (linearizable and serializable) succeed', async () => {
      for (const op of ['range', 'range-serializable']) {
        const r = await kvbench(t.port, ['-op', op, '-conns', '4', '-clients', '50', '-total', '5000'])
        assert.equal(r.errors, 0, r.first_error)
        assert.equal(r.ops, 5000)
      }
    })
  })

  describe('etcdctl', () => {
    before(function () {
      if (!haveBinary(ETCDCTL)) {
        console.log(`      skipped: ${ETCDCTL} missing (apt-get install etcd-client)`)
        this.skip()
      }
    })
    const etcdctl = (...args: string[]) => run(ETCDCTL, [`--endpoints=127.0.0.1:${t.port}`, ...args])

    it('put, get and get --prefix', async () => {
      const put = await etcdctl('put', 'fruit/apple', 'red')
      assert.equal(put.code, 0, put.stderr)
      assert.equal(put.stdout, 'OK\n')
      await etcdctl('put', 'fruit/banana', 'yellow')
      const get = await etcdctl('get', 'fruit/apple')
      assert.equal(get.stdout, 'fruit/apple\nred\n')
      const prefix = await etcdctl('get', '--prefix', 'fruit/')
      assert.equal(prefix.stdout, 'fruit/apple\nred\nfruit/banana\nyellow\n')
      const json = JSON.parse((await etcdctl('get', 'fruit/apple', '-w', 'json')).stdout)
      assert.equal(json.header.cluster_id, 0x1234)
      assert.equal(json.count, 1)
    })

    it('prints the server’s error, non-ASCII and percent sign intact', async () => {
      const r = await etcdctl('put', 'forbidden/k', 'v')
      assert.notEqual(r.code, 0)
      assert.match(r.stderr, /etcdserver: permission denied — clé refusée à 100%/)
    })

    it('its deadline (--command-timeout) ends a slow call with "context deadline exceeded"', async () => {
      const r = await etcdctl('--command-timeout=300ms', 'get', 'slow/3000')
      assert.notEqual(r.code, 0)
      assert.match(r.stderr, /context deadline exceeded/)
      assert.equal((await etcdctl('get', 'fruit/apple')).stdout, 'fruit/apple\nred\n')
    })

    it('watch (bidi): the created watch gets the echoed event', async () => {
      const child = spawn(ETCDCTL, [`--endpoints=127.0.0.1:${t.port}`, 'watch', 'wkey'], {
        env: { ...process.env, ETCDCTL_API: '3' },
      })
      try {
        const out = await new Promise<string>((resolve, reject) => {
          let buf = ''
          const timer = setTimeout(() => reject(new Error(`no event; got ${JSON.stringify(buf)}`)), 10_000)
          child.stdout.on('data', (d) => {
            buf += d
            if (buf.includes('echo:wkey')) {
              clearTimeout(timer)
              resolve(buf)
            }
          })
        })
        assert.equal(out, 'PUT\nwkey\necho:wkey\n')
      } finally {
        child.kill('SIGKILL')
      }
    })

    it('snapshot save (server streaming): the file is the streamed blob', async () => {
      const file = path.join(dir, 'snap.db')
      const r = await etcdctl('snapshot', 'save', file)
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /Snapshot saved at/)
      assert.ok(fs.readFileSync(file).equals(snapshotBlob()))
    })
  })
})
