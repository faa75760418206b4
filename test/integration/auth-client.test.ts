import assert from 'node:assert/strict'
import * as grpc from '@grpc/grpc-js'
import { EtcdClient, ClientError } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { userAdd, roleAdd, userGrantRole, authEnable } from '../../src/client/auth.js'
import { WatchSession } from '../../src/client/watch.js'
import { startTsetcd, removeDir, tmpDir, type ServerProc } from '../helpers/procs.js'
import { sleep } from '../helpers/wait.js'

const TTL_S = 1

/** A put carrying exactly this token, without the client's renewal. */
function putWithToken(c: EtcdClient, token: string): Promise<void> {
  const raw = new grpc.Client(c.endpoint, grpc.credentials.createInsecure())
  const md = new grpc.Metadata()
  md.set('token', token)
  return new Promise<void>((resolve, reject) =>
    raw.makeUnaryRequest(
      KVService.Put.path,
      KVService.Put.requestSerialize,
      KVService.Put.responseDeserialize,
      { key: Buffer.from('/probe'), value: Buffer.from('x') },
      md,
      (err) => {
        raw.close()
        if (err) reject(new ClientError(err.details, err.code))
        else resolve()
      },
    ),
  )
}

describe('client authentication: simple tokens that expire (--auth-token-ttl)', function () {
  this.timeout(120000)
  let server: ServerProc
  let dir: string

  before(async () => {
    dir = tmpDir('tsetcd-authcli-')
    server = await startTsetcd({ dataDir: `${dir}/data`, extraArgs: ['--auth-token-ttl', String(TTL_S)] })
    const admin = await EtcdClient.connect({ endpoints: [server.endpoint] })
    await userAdd(admin, 'root', 'rootpw', false)
    await roleAdd(admin, 'root')
    await userGrantRole(admin, 'root', 'root')
    await authEnable(admin, 5000)
    admin.close()
  })
  after(async () => {
    await server?.kill9()
    if (dir) removeDir(dir)
  })

  /** Holds the client unused past the token's lifetime (a use would extend it). */
  const outliveToken = (): Promise<void> => sleep(TTL_S * 1000 + 1100)

  /** The token is no longer taken (probing an expired token does not revive it). */
  async function refused(c: EtcdClient, token: string): Promise<void> {
    await assert.rejects(putWithToken(c, token), /etcdserver: invalid auth token/)
  }

  it('without credentials a put is refused; with them it is taken', async () => {
    const anon = await EtcdClient.connect({ endpoints: [server.endpoint] })
    await assert.rejects(
      anon.call(KVService.Put, { key: Buffer.from('/a'), value: Buffer.from('1') }),
      /etcdserver: user name is empty/,
    )
    anon.close()
    const c = await EtcdClient.connect({ endpoints: [server.endpoint], username: 'root', password: 'rootpw' })
    assert.ok(c.token)
    await c.call(KVService.Put, { key: Buffer.from('/a'), value: Buffer.from('1') })
    c.close()
  })

  it('a wrong password fails on connect', async () => {
    await assert.rejects(
      EtcdClient.connect({ endpoints: [server.endpoint], username: 'root', password: 'nope' }),
      /etcdserver: authentication failed, invalid user ID or password/,
    )
  })

  it('puts across the token TTL: the client authenticates again and the put goes through', async () => {
    const c = await EtcdClient.connect({ endpoints: [server.endpoint], username: 'root', password: 'rootpw' })
    try {
      for (let i = 0; i < 3; i++) {
        const old = c.token!
        await c.call(KVService.Put, { key: Buffer.from('/seq'), value: Buffer.from(String(i)) })
        await outliveToken()
        await c.call(KVService.Put, { key: Buffer.from('/seq'), value: Buffer.from(`${i}b`) })
        assert.notEqual(c.token, old)
        await refused(c, old)
      }
      const r = await c.call(KVService.Range, { key: Buffer.from('/seq') })
      assert.equal(r.kvs[0].value.toString(), '2b')
    } finally {
      c.close()
    }
  })

  it('a watch opened before the token expired keeps delivering events after', async () => {
    const c = await EtcdClient.connect({ endpoints: [server.endpoint], username: 'root', password: 'rootpw' })
    const writer = await EtcdClient.connect({ endpoints: [server.endpoint], username: 'root', password: 'rootpw' })
    const dial = (): Promise<EtcdClient> =>
      EtcdClient.connect({ endpoints: [server.endpoint], username: 'root', password: 'rootpw' })
    const session = WatchSession.open(c, dial)
    try {
      const w = session.watch({ key: Buffer.from('/w') })
      await writer.call(KVService.Put, { key: Buffer.from('/w'), value: Buffer.from('before') })
      assert.equal((await w.next())?.events[0].kv?.value.toString(), 'before')
      const old = c.token!
      await outliveToken()
      await refused(c, old)
      await writer.call(KVService.Put, { key: Buffer.from('/w'), value: Buffer.from('after') })
      assert.equal((await w.next())?.events[0].kv?.value.toString(), 'after')
    } finally {
      session.close()
      writer.close()
    }
  })
})
