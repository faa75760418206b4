/**
 * unix:// URLs for clients and peers, as etcd takes them: a three-member cluster whose client
 * and peer URLs are all unix sockets, one member listening for peers on two sockets.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import path from 'node:path'
import { EtcdClient } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { removeDir, TSETCD, tmpDir } from '../helpers/procs.js'

function getMembers(socketPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: '/members', headers: { host: 'localhost' } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function until<T>(what: string, fn: () => Promise<T>, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await fn()
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`, { cause: err })
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

describe('unix socket URLs', function () {
  this.timeout(120000)
  let dir: string
  const procs: ChildProcess[] = []
  const logs: string[] = []
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log(logs.join('\n---\n'))
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve()
            p.once('exit', () => resolve())
            p.kill('SIGKILL')
          }),
      ),
    )
    removeDir(dir)
  })

  it('serve a three-member cluster: a put on one member is read on another; every peer socket serves', async () => {
    dir = tmpDir('tsetcd-unix-')
    const sock = (name: string) => path.join(dir, name)
    const names = ['etcd1', 'etcd2', 'etcd3']
    const peerUrls = names.map((n) => [`unix://${sock(`${n}-peer.sock`)}`])
    peerUrls[0].push(`unix://${sock('etcd1-peer2.sock')}`)
    const clientUrl = (n: string) => `unix://${sock(`${n}-client.sock`)}`
    const initial = names.flatMap((n, i) => peerUrls[i].map((u) => `${n}=${u}`)).join(',')
    names.forEach((n, i) => {
      const p = spawn(
        process.execPath,
        [
          TSETCD,
          'serve',
          '--name',
          n,
          '--data-dir',
          path.join(dir, n),
          '--listen-client-urls',
          clientUrl(n),
          '--advertise-client-urls',
          clientUrl(n),
          '--listen-peer-urls',
          peerUrls[i].join(','),
          '--initial-advertise-peer-urls',
          peerUrls[i].join(','),
          '--initial-cluster',
          initial,
          '--heartbeat-interval',
          '50',
          '--election-timeout',
          '500',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      logs[i] = ''
      p.stdout!.on('data', (d) => (logs[i] += d))
      p.stderr!.on('data', (d) => (logs[i] += d))
      procs.push(p)
    })

    // The members are still starting: their client sockets appear when they listen.
    const put = await until('connect to etcd1', () =>
      EtcdClient.connect({ endpoints: [clientUrl('etcd1')], dialTimeoutMs: 3000 }),
    )
    try {
      await until('put on etcd1', () =>
        put.call(KVService.Put, { key: Buffer.from('k'), value: Buffer.from('over unix') }, 2000),
      )
    } finally {
      put.close()
    }
    const get = await until('connect to etcd3', () =>
      EtcdClient.connect({ endpoints: [clientUrl('etcd3')], dialTimeoutMs: 3000 }),
    )
    try {
      const r = await until('get on etcd3', () => get.call(KVService.Range, { key: Buffer.from('k') }, 2000))
      assert.equal(r.kvs[0]?.value.toString(), 'over unix')
    } finally {
      get.close()
    }

    // etcd2 took no part in the put and the get: its peer socket may not be listening yet.
    for (const s of ['etcd1-peer.sock', 'etcd1-peer2.sock', 'etcd2-peer.sock']) {
      const r = await until(`GET /members on ${s}`, () => getMembers(sock(s)))
      assert.equal(r.status, 200, s)
      const members = JSON.parse(r.body) as { name: string; peerURLs: string[] }[]
      assert.deepEqual(members.map((m) => m.name).sort(), names)
      assert.deepEqual(members.find((m) => m.name === 'etcd1')!.peerURLs, peerUrls[0])
    }
  })
})
