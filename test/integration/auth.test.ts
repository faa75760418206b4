import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { generateKeyPairSync } from 'node:crypto'
import * as grpc from '@grpc/grpc-js'
import { AuthService, KVService } from '../../src/gen/etcdserverpb.js'
import { TestCluster } from '../helpers/cluster.js'
import { testCa } from '../helpers/certs.js'
import {
  ETCDCTL,
  haveBinary,
  removeDir,
  run,
  startTsetcd,
  tmpDir,
  userStderr,
  type ServerProc,
} from '../helpers/procs.js'
import { sleep, waitFor } from '../helpers/wait.js'

const ctl = async (endpoint: string, args: string[], extra: string[] = []) => {
  const r = await run(ETCDCTL, [`--endpoints=${endpoint}`, ...extra, ...args])
  return { out: r.stdout, err: userStderr(r.stderr), code: r.code }
}

/** Root, a role `app` with readwrite on /app/, a user alice:alicepw with it; auth on. */
async function setupAuth(endpoint: string, extra: string[] = []): Promise<void> {
  for (const args of [
    ['user', 'add', 'root:rootpw'],
    ['role', 'add', 'root'],
    ['user', 'grant-role', 'root', 'root'],
    ['role', 'add', 'app'],
    ['role', 'grant-permission', 'app', '--prefix=true', 'readwrite', '/app/'],
    ['user', 'add', 'alice:alicepw'],
    ['user', 'grant-role', 'alice', 'app'],
    ['auth', 'enable'],
  ]) {
    const r = await ctl(endpoint, args, extra)
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`)
  }
}

/** A raw gRPC client that sends a given token: to see what a token is worth over time. */
class TokenClient {
  private readonly c: grpc.Client
  constructor(endpoint: string) {
    this.c = new grpc.Client(endpoint, grpc.credentials.createInsecure())
  }
  call<Req, Res>(m: (typeof AuthService)['Authenticate'] | object, req: Req, token?: string): Promise<Res> {
    const method = m as { path: string; requestSerialize: (r: Req) => Buffer; responseDeserialize: (b: Buffer) => Res }
    const md = new grpc.Metadata()
    if (token !== undefined) md.set('token', token)
    return new Promise((resolve, reject) =>
      this.c.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, req, md, (err, res) =>
        err ? reject(err) : resolve(res as Res),
      ),
    )
  }
  async token(name: string, password: string): Promise<string> {
    const r = await this.call<object, { token: string }>(AuthService.Authenticate, { name, password })
    return r.token
  }
  get(key: string, token?: string): Promise<unknown> {
    return this.call(KVService.Range, { key: Buffer.from(key) }, token)
  }
  close(): void {
    this.c.close()
  }
}

const rejectsWith = (p: Promise<unknown>, message: string) =>
  assert.rejects(p, (e: Error & { details?: string }) => (e.details ?? e.message) === message)

describe('auth: tsetcd serve', function () {
  this.timeout(180000)
  before(function () {
    if (!haveBinary(ETCDCTL)) {
      console.log('      skipped: etcdctl not installed (apt-get install etcd-client)')
      this.skip()
    }
  })

  it('survives restarts and leader changes; followers enforce the same permissions', async () => {
    const c = await TestCluster.create(3)
    try {
      await c.leader()
      await setupAuth(c.members[0].endpoint)
      const alice = ['--user', 'alice:alicepw']
      const check = async () => {
        for (const m of c.members)
          await waitFor(async () => (await ctl(m.endpoint, ['get', '/app/k'], alice)).code === 0, 15000, m.name, 100)
        for (const m of c.members) {
          const put = await ctl(m.endpoint, ['put', '/app/k', m.name], alice)
          assert.equal(put.code, 0, `${m.name}: ${put.err}`)
          assert.deepEqual(await ctl(m.endpoint, ['put', '/x', 'v'], alice), {
            out: '',
            err: 'Error: etcdserver: permission denied',
            code: 1,
          })
          assert.deepEqual(await ctl(m.endpoint, ['get', '/app/k', '--consistency=s'], alice), {
            out: `/app/k\n${m.name}\n`,
            err: '',
            code: 0,
          })
          assert.equal((await ctl(m.endpoint, ['get', '/x'])).err, 'Error: etcdserver: user name is empty')
        }
      }
      await check()
      // The leader goes away and comes back; then every member restarts.
      const leader = await c.leader()
      await leader.proc!.stop()
      await c.leader(15000)
      await c.start(leader)
      await c.leader()
      await check()
      await Promise.all(c.members.map((m) => m.proc!.stop()))
      await Promise.all(c.members.map((m) => c.start(m)))
      await c.leader(15000)
      await check()
    } finally {
      await c.stopAll()
      c.remove()
    }
  })

  it('a password change invalidates the old token; a permission change refuses requests authorized before it', async () => {
    const s = await startTsetcd({})
    const tc = new TokenClient(s.endpoint)
    try {
      await setupAuth(s.endpoint)
      const token = await tc.token('alice', 'alicepw')
      assert.match(token, /^[A-Za-z]{16}\.\d+$/)
      await tc.get('/app/x', token)
      await rejectsWith(tc.get('/x', token), 'etcdserver: permission denied')
      await rejectsWith(tc.get('/app/x', 'forged.1'), 'etcdserver: invalid auth token')
      await rejectsWith(tc.token('alice', 'nope'), 'etcdserver: authentication failed, invalid user ID or password')
      await rejectsWith(tc.token('', 'x'), 'etcdserver: authentication failed, invalid user ID or password')
      const r = await ctl(s.endpoint, ['user', 'passwd', 'alice', '--interactive=false'], ['--user', 'root:rootpw'])
      assert.equal(r.code, 0)
      await rejectsWith(tc.get('/app/x', token), 'etcdserver: invalid auth token')
      await tc.get('/app/x', await tc.token('alice', ''))
    } finally {
      tc.close()
      await s.kill9()
      removeDir(path.dirname(s.dataDir))
    }
  })

  it('simple tokens expire after --auth-token-ttl seconds unused', async () => {
    const s = await startTsetcd({ extraArgs: ['--auth-token-ttl', '1'] })
    const tc = new TokenClient(s.endpoint)
    try {
      await setupAuth(s.endpoint)
      const token = await tc.token('alice', 'alicepw')
      await tc.get('/app/x', token)
      await sleep(2100) // the token's lifetime, unused
      await rejectsWith(tc.get('/app/x', token), 'etcdserver: invalid auth token')
    } finally {
      tc.close()
      await s.kill9()
      removeDir(path.dirname(s.dataDir))
    }
  })

  it('JWT tokens: signed with the private key, checked against the auth revision', async () => {
    const dir = tmpDir('tsetcd-jwt-')
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    fs.writeFileSync(path.join(dir, 'priv.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }))
    fs.writeFileSync(path.join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }))
    const spec = `jwt,pub-key=${dir}/pub.pem,priv-key=${dir}/priv.pem,sign-method=ES256,ttl=10m`
    const s = await startTsetcd({ extraArgs: ['--auth-token', spec] })
    const tc = new TokenClient(s.endpoint)
    try {
      await setupAuth(s.endpoint)
      assert.deepEqual(await ctl(s.endpoint, ['put', '/app/j', 'v'], ['--user', 'alice:alicepw']), {
        out: 'OK\n',
        err: '',
        code: 0,
      })
      const token = await tc.token('alice', 'alicepw')
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())
      assert.equal(claims.username, 'alice')
      await tc.get('/app/j', token)
      await rejectsWith(tc.get('/app/j', token.slice(0, -4) + 'AAAA'), 'etcdserver: invalid auth token')
      const r = await ctl(s.endpoint, ['role', 'grant-permission', 'app', 'read', '/r'], ['--user', 'root:rootpw'])
      assert.equal(r.code, 0)
      await rejectsWith(tc.get('/app/j', token), 'etcdserver: revision of auth store is old')
      await tc.get('/r', await tc.token('alice', 'alicepw'))
    } finally {
      tc.close()
      await s.kill9()
      removeDir(path.dirname(s.dataDir))
      removeDir(dir)
    }
  })

  it('--client-cert-auth: a verified client certificate names the user, no password needed', async () => {
    const dir = tmpDir('tsetcd-cn-')
    const ca = await testCa(dir, 'ca')
    const [server, root, alice] = await Promise.all([
      ca.issue('server', 'server'),
      ca.issue('root', 'root'),
      ca.issue('alice', 'alice'),
    ])
    let s: ServerProc | undefined
    try {
      s = await startTsetcd({
        clientScheme: 'https',
        ready: false,
        extraArgs: [
          '--cert-file',
          server.cert,
          '--key-file',
          server.key,
          '--trusted-ca-file',
          ca.ca,
          '--client-cert-auth',
        ],
      })
      const ep = s.clientUrl
      const as = (p: { cert: string; key: string }) => ['--cacert', ca.ca, '--cert', p.cert, '--key', p.key]
      await waitFor(async () => (await ctl(ep, ['endpoint', 'health'], as(root))).code === 0, 15000, 'the member')
      await setupAuth(ep, as(root))
      assert.deepEqual(await ctl(ep, ['put', '/app/c', 'v'], as(alice)), { out: 'OK\n', err: '', code: 0 })
      assert.deepEqual(await ctl(ep, ['put', '/x', 'v'], as(alice)), {
        out: '',
        err: 'Error: etcdserver: permission denied',
        code: 1,
      })
      assert.equal((await ctl(ep, ['put', '/x', 'v'], as(root))).code, 0)
      assert.equal((await ctl(ep, ['user', 'list'], as(alice))).err, 'Error: etcdserver: permission denied')
      assert.equal((await ctl(ep, ['auth', 'disable'], as(root))).out, 'Authentication Disabled\n')
    } finally {
      await s?.kill9()
      if (s) removeDir(path.dirname(s.dataDir))
      removeDir(dir)
    }
  })
})
