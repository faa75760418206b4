// Our printers against the real etcdctl 3.4 on a real etcd.
//
// Two etcd members are started as twins: same name, same advertised peer and
// client URLs (so the same cluster and member IDs), each listening on its own
// ports. Every write goes to both, in the same order, so they stay at the
// same revisions:
// - a read is made on twin B both by us (raw gRPC) and by etcdctl, with no
//   write in between, and our rendering must equal etcdctl's stdout;
// - a write is made by us on twin A and by etcdctl on twin B, so both get the
//   same response and again the outputs must be byte-identical.
// Only values that differ by nature (a health probe's duration, a lease ID
// the server picks) are taken from etcdctl's output and fed to our printer.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as pb from '../../src/gen/etcdserverpb.js'
import { newPrinter, type Output } from '../../src/output/printer.js'
import { EtcdctlExit } from '../../src/output/exit-error.js'
import { compactedMessage, defragOkMessage } from '../../src/output/messages.js'
import { formatDuration } from '../../src/go/duration.js'
import { parseTxn } from '../../src/ctl/txn-grammar.js'
import { ETCD, ETCDCTL } from '../helpers/procs.js'

const FORMATS = ['simple', 'json', 'fields', 'protobuf', 'table'] as const
const B = (s: string): Buffer => Buffer.from(s, 'utf8')

interface Result {
  code: number
  stdout: Buffer
  stderr: string
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

function run(cmd: string, args: string[], input = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCDCTL_')))
    const p = spawn(cmd, args, { env: { ...env, ETCDCTL_API: '3' } })
    const out: Buffer[] = []
    let err = ''
    p.stdout.on('data', (d: Buffer) => out.push(d))
    p.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')))
    p.on('error', reject)
    p.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err }))
    // A command that does not read its input may exit before it is written (EPIPE): not a failure.
    p.stdin.on('error', () => {})
    p.stdin.end(input)
  })
}

/** What our printer produced, in etcdctl's terms (a thrown EtcdctlExit is its exit). */
function ours(f: () => Output): Result {
  try {
    const o = f()
    return { code: 0, stdout: o.stdout, stderr: o.stderr }
  } catch (e) {
    if (!(e instanceof EtcdctlExit)) throw e
    return { code: e.exitCode, stdout: Buffer.alloc(0), stderr: e.stderr }
  }
}

function assertSame(got: Result, want: Result, what: string): void {
  assert.equal(got.code, want.code, `${what}: exit code; etcdctl said ${want.stderr}`)
  assert.equal(got.stdout.toString('latin1'), want.stdout.toString('latin1'), `${what}: stdout`)
  const firstLine = (s: string): string => s.split('\n')[0]
  if (want.stderr.startsWith('panic: ')) assert.equal(firstLine(got.stderr), firstLine(want.stderr), `${what}: panic`)
  else assert.equal(got.stderr, want.stderr, `${what}: stderr`)
}

type Unary = (req: unknown, cb: (err: grpc.ServiceError | null, res: any) => void) => void

class Twin {
  proc?: ChildProcess
  clients: Record<string, grpc.Client & Record<string, any>> = {}
  readonly endpoint: string

  constructor(
    readonly name: string,
    readonly clientPort: number,
    readonly peerPort: number,
    readonly dir: string,
  ) {
    this.endpoint = `127.0.0.1:${clientPort}`
  }

  start(advClient: string, advPeer: string): void {
    this.proc = spawn(
      ETCD,
      [
        '--name',
        'ref',
        '--data-dir',
        join(this.dir, this.name),
        '--listen-client-urls',
        `http://${this.endpoint}`,
        '--advertise-client-urls',
        advClient,
        '--listen-peer-urls',
        `http://127.0.0.1:${this.peerPort}`,
        '--initial-advertise-peer-urls',
        advPeer,
        '--initial-cluster',
        `ref=${advPeer}`,
      ],
      { stdio: 'ignore' },
    )
    const services: Record<string, object> = {
      KV: pb.KVService,
      Lease: pb.LeaseService,
      Cluster: pb.ClusterService,
      Maintenance: pb.MaintenanceService,
      Auth: pb.AuthService,
      Watch: pb.WatchService,
    }
    for (const [name, def] of Object.entries(services)) {
      const Ctor = grpc.makeGenericClientConstructor(def as grpc.ServiceDefinition, name)
      this.clients[name] = new Ctor(this.endpoint, grpc.credentials.createInsecure()) as grpc.Client &
        Record<string, any>
    }
  }

  call<T = any>(service: string, method: string, req: unknown): Promise<T> {
    const c = this.clients[service]
    return new Promise((resolve, reject) =>
      (c[method] as Unary).call(c, req, (e, r) => (e ? reject(e) : resolve(r as T))),
    )
  }

  async ready(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      try {
        await this.call('KV', 'Range', { key: B('ready') })
        return
      } catch {
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    throw new Error(`etcd ${this.name} did not start`)
  }

  stop(): void {
    for (const c of Object.values(this.clients)) c.close()
    this.proc?.kill('SIGKILL')
  }
}

describe('interop: printers against the real etcdctl', function () {
  this.timeout(120000)
  let dir = ''
  let a: Twin
  let b: Twin
  const ctl = (args: string[], input = ''): Promise<Result> => run(ETCDCTL, ['--endpoints', b.endpoint, ...args], input)
  const both = async (service: string, method: string, req: unknown): Promise<any> => {
    await a.call(service, method, req)
    return b.call(service, method, req)
  }
  let memberId = 0n

  before(async function () {
    if (!existsSync(ETCD) || !existsSync(ETCDCTL)) {
      console.log(`    skipped: needs ${ETCD} and ${ETCDCTL} (apt-get install etcd-server etcd-client)`)
      this.skip()
    }
    dir = mkdtempSync(join(tmpdir(), 'tsetcd-printers-'))
    const [ac, ap, bc, bp, advc, advp] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => freePort()))
    a = new Twin('a', ac, ap, dir)
    b = new Twin('b', bc, bp, dir)
    a.start(`http://127.0.0.1:${advc}`, `http://127.0.0.1:${advp}`)
    b.start(`http://127.0.0.1:${advc}`, `http://127.0.0.1:${advp}`)
    await Promise.all([a.ready(), b.ready()])
    const ml = await b.call<pb.MemberListResponse>('Cluster', 'MemberList', {})
    memberId = ml.members[0].ID
    const ma = await a.call<pb.MemberListResponse>('Cluster', 'MemberList', {})
    assert.equal(ma.members[0].ID, memberId, 'twins share their member ID')

    await both('KV', 'Put', { key: B('foo'), value: B('bar') })
    await both('KV', 'Put', { key: B('foo/2'), value: B('x\ty') })
    await both('KV', 'Put', { key: Buffer.from([0x00, 0xff, 0x61]), value: Buffer.from([0xfe, 0x0a, 0x22]) })
    await both('KV', 'Put', { key: B('ключ'), value: B('значение <&>') })
    await both('Lease', 'LeaseGrant', { ID: 0x1234abcdn, TTL: 3600 })
    await both('KV', 'Put', { key: B('leased'), value: B('v'), lease: 0x1234abcdn })
    await both('KV', 'Put', { key: B('leased 2'), value: B('v'), lease: 0x1234abcdn })
  })

  after(() => {
    a?.stop()
    b?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /** A read on B by us and by etcdctl. */
  async function sameRead(
    args: string[],
    render: (format: string) => Promise<Result>,
    formats: readonly string[] = FORMATS,
  ): Promise<void> {
    for (const f of formats) {
      const got = await render(f)
      assertSame(got, await ctl([...args, '-w', f]), `${args.join(' ')} -w ${f}`)
    }
  }

  describe('reads', () => {
    const gets: Array<[string[], pb.RangeRequestInit]> = [
      [['get', 'foo'], { key: B('foo') }],
      [['get', 'foo', '--prefix'], { key: B('foo'), range_end: B('fop') }],
      [['get', '', '--from-key'], { key: Buffer.from([0]), range_end: Buffer.from([0]) }],
      [['get', 'foo', '--prefix', '--keys-only'], { key: B('foo'), range_end: B('fop'), keys_only: true }],
      [['get', 'foo', '--prefix', '--limit', '1'], { key: B('foo'), range_end: B('fop'), limit: 1 }],
      [['get', 'nothing-here'], { key: B('nothing-here') }],
    ]
    for (const [args, req] of gets) {
      it(args.join(' '), async () => {
        const render = async (f: string, isHex = false, valueOnly = false): Promise<Result> => {
          const r = await b.call<pb.RangeResponse>('KV', 'Range', req)
          return ours(() => newPrinter(f, { isHex }).get(r, { valueOnly }))
        }
        await sameRead(args, (f) => render(f))
        assertSame(await render('simple', true), await ctl([...args, '--hex']), `${args.join(' ')} --hex`)
        for (const f of ['simple', 'json'])
          assertSame(
            await render(f, false, true),
            await ctl([...args, '--print-value-only', '-w', f]),
            `${args.join(' ')} --print-value-only -w ${f}`,
          )
      })
    }

    it('lease timetolive, timetolive --keys, list', async () => {
      for (const keys of [false, true]) {
        const args = ['lease', 'timetolive', '1234abcd', ...(keys ? ['--keys'] : [])]
        for (const f of FORMATS) {
          // The remaining TTL ticks; retry until both reads fall in the same second.
          let got: Result | undefined
          let want: Result | undefined
          for (let i = 0; i < 5; i++) {
            const r = await b.call<pb.LeaseTimeToLiveResponse>('Lease', 'LeaseTimeToLive', { ID: 0x1234abcdn, keys })
            got = ours(() => newPrinter(f).timeToLive(r, keys))
            want = await ctl([...args, '-w', f])
            if (got.stdout.equals(want.stdout)) break
          }
          assertSame(got!, want!, `${args.join(' ')} -w ${f}`)
        }
      }
      await sameRead(['lease', 'list'], async (f) => {
        const r = await b.call<pb.LeaseLeasesResponse>('Lease', 'LeaseLeases', {})
        return ours(() => newPrinter(f).leases(r))
      })
    })

    it('member list', async () => {
      await sameRead(['member', 'list'], async (f) => {
        const r = await b.call<pb.MemberListResponse>('Cluster', 'MemberList', {})
        return ours(() => newPrinter(f).memberList(r))
      })
    })

    it('endpoint status and hashkv', async () => {
      await sameRead(['endpoint', 'status'], async (f) => {
        const status = await b.call<pb.StatusResponse>('Maintenance', 'Status', {})
        return ours(() => newPrinter(f).endpointStatus([{ endpoint: b.endpoint, status }]))
      })
      await sameRead(['endpoint', 'hashkv'], async (f) => {
        const hashKV = await b.call<pb.HashKVResponse>('Maintenance', 'HashKV', {})
        return ours(() => newPrinter(f).endpointHashKV([{ endpoint: b.endpoint, hashKV }]))
      })
    })

    it("endpoint health (the duration is etcdctl's own)", async () => {
      const started = process.hrtime.bigint()
      await b.call('KV', 'Range', { key: B('health') })
      const took = formatDuration(process.hrtime.bigint() - started)
      assert.match(took, /^\d+(\.\d+)?(ns|µs|ms|s)$/)
      const tookIn: Record<string, RegExp> = {
        simple: /took = (\S+)\n/,
        json: /"took":"([^"]+)"/,
        fields: /"Took" : (\S+)\n/,
        table: /\| +true \| +(\S+) \|/,
      }
      for (const f of FORMATS) {
        const want = await ctl(['endpoint', 'health', '-w', f])
        const m = tookIn[f]?.exec(f === 'simple' ? want.stderr : want.stdout.toString('utf8'))
        if (f !== 'protobuf') assert.ok(m, `took in ${f}: ${want.stdout}${want.stderr}`)
        const got = ours(() =>
          newPrinter(f).endpointHealth([{ endpoint: b.endpoint, health: true, took: m?.[1] ?? took }]),
        )
        assertSame(got, want, `endpoint health -w ${f}`)
      }
    })

    it('alarm list, endpoint status with an alarm, alarm disarm', async () => {
      await sameRead(['alarm', 'list'], async (f) => {
        const r = await b.call<pb.AlarmResponse>('Maintenance', 'Alarm', { action: pb.AlarmRequest_AlarmAction.GET })
        return ours(() => newPrinter(f).alarm(r))
      })
      const activate = { action: pb.AlarmRequest_AlarmAction.ACTIVATE, memberID: memberId, alarm: pb.AlarmType.NOSPACE }
      await both('Maintenance', 'Alarm', activate)
      await sameRead(['alarm', 'list'], async (f) => {
        const r = await b.call<pb.AlarmResponse>('Maintenance', 'Alarm', { action: pb.AlarmRequest_AlarmAction.GET })
        return ours(() => newPrinter(f).alarm(r))
      })
      await sameRead(['endpoint', 'status'], async (f) => {
        const status = await b.call<pb.StatusResponse>('Maintenance', 'Status', {})
        return ours(() => newPrinter(f).endpointStatus([{ endpoint: b.endpoint, status }]))
      })
      for (const f of FORMATS) {
        // etcdctl's disarm lists the alarms, deactivates each and prints the collected
        // alarms without a header; we do the same on A.
        const list = await a.call<pb.AlarmResponse>('Maintenance', 'Alarm', { action: pb.AlarmRequest_AlarmAction.GET })
        const alarms: pb.AlarmMember[] = []
        for (const m of list.alarms) {
          const r = await a.call<pb.AlarmResponse>('Maintenance', 'Alarm', {
            action: pb.AlarmRequest_AlarmAction.DEACTIVATE,
            memberID: m.memberID,
            alarm: m.alarm,
          })
          alarms.push(...r.alarms)
        }
        const got = ours(() => newPrinter(f).alarm({ alarms }))
        assertSame(got, await ctl(['alarm', 'disarm', '-w', f]), `alarm disarm -w ${f}`)
        await both('Maintenance', 'Alarm', activate)
      }
      await both('Maintenance', 'Alarm', {
        action: pb.AlarmRequest_AlarmAction.DEACTIVATE,
        memberID: memberId,
        alarm: pb.AlarmType.NOSPACE,
      })
    })

    it("snapshot status (values from etcdctl's json)", async () => {
      const file = join(dir, 'snap.db')
      const saved = await ctl(['snapshot', 'save', file])
      assert.equal(saved.code, 0, saved.stderr)
      assert.equal(saved.stdout.toString(), `Snapshot saved at ${file}\n`)
      const json = await run(ETCDCTL, ['snapshot', 'status', file, '-w', 'json'])
      const s = JSON.parse(json.stdout.toString()) as {
        hash: number
        revision: number
        totalKey: number
        totalSize: number
      }
      for (const f of FORMATS)
        assertSame(
          ours(() => newPrinter(f).dbStatus(s)),
          await run(ETCDCTL, ['snapshot', 'status', file, '-w', f]),
          `snapshot status -w ${f}`,
        )
    })
  })

  describe('auth reads', () => {
    before(async () => {
      await both('Auth', 'RoleAdd', { name: 'reader' })
      await both('Auth', 'RoleGrantPermission', {
        name: 'reader',
        perm: { permType: 0, key: B('foo'), range_end: B('fop') },
      })
      await both('Auth', 'RoleGrantPermission', { name: 'reader', perm: { permType: 2, key: B('one') } })
      await both('Auth', 'RoleGrantPermission', {
        name: 'reader',
        perm: { permType: 1, key: B('from'), range_end: Buffer.from([0]) },
      })
      await both('Auth', 'UserAdd', { name: 'alice', password: 'pw', options: {} })
      await both('Auth', 'UserGrantRole', { user: 'alice', role: 'reader' })
    })

    it('role get, role list, user get, user list', async () => {
      await sameRead(['role', 'get', 'reader'], async (f) => {
        const r = await b.call<pb.AuthRoleGetResponse>('Auth', 'RoleGet', { role: 'reader' })
        return ours(() => newPrinter(f).roleGet('reader', r))
      })
      await sameRead(['role', 'list'], async (f) => {
        const r = await b.call<pb.AuthRoleListResponse>('Auth', 'RoleList', {})
        return ours(() => newPrinter(f).roleList(r))
      })
      await sameRead(['user', 'get', 'alice'], async (f) => {
        const r = await b.call<pb.AuthUserGetResponse>('Auth', 'UserGet', { name: 'alice' })
        return ours(() => newPrinter(f).userGet('alice', r))
      })
      await sameRead(['user', 'list'], async (f) => {
        const r = await b.call<pb.AuthUserListResponse>('Auth', 'UserList', {})
        return ours(() => newPrinter(f).userList(r))
      })
    })
  })

  describe('writes (us on A, etcdctl on B)', () => {
    for (const f of FORMATS) {
      it(`put, put --prev-kv, del, del --prefix --prev-kv -w ${f}`, async () => {
        const k = `w-${f}`
        let r = await a.call('KV', 'Put', { key: B(k), value: B('v1') })
        assertSame(
          ours(() => newPrinter(f).put(r)),
          await ctl(['put', k, 'v1', '-w', f]),
          'put',
        )
        r = await a.call('KV', 'Put', { key: B(k), value: B('v 2'), prev_kv: true })
        assertSame(
          ours(() => newPrinter(f).put(r)),
          await ctl(['put', k, 'v 2', '--prev-kv', '-w', f]),
          'put --prev-kv',
        )
        r = await a.call('KV', 'DeleteRange', { key: B(k) })
        assertSame(
          ours(() => newPrinter(f).del(r)),
          await ctl(['del', k, '-w', f]),
          'del',
        )
        await both('KV', 'Put', { key: B(`${k}/1`), value: B('x') })
        await both('KV', 'Put', { key: B(`${k}/2`), value: Buffer.from([0xff]) })
        r = await a.call('KV', 'DeleteRange', { key: B(`${k}/`), range_end: B(`${k}0`), prev_kv: true })
        assertSame(
          ours(() => newPrinter(f).del(r)),
          await ctl(['del', `${k}/`, '--prefix', '--prev-kv', '-w', f]),
          'del --prefix --prev-kv',
        )
      })

      it(`txn (our grammar, our printer) -w ${f}`, async () => {
        const k = `t-${f}`
        for (const input of [
          `mod("${k}") = "0"\n\nput ${k} "first value" --prev-kv\nget ${k}\n\nget ${k}\n\n`,
          `value("${k}") = "nope"\nversion("${k}") > "0"\n\nput ${k} x\n\nput ${k} "y z" --prev-kv\ndel ${k}/ --prefix\nget ${k} --keys-only\n\n`,
        ]) {
          const r = await a.call('KV', 'Txn', parseTxn(input))
          assertSame(
            ours(() => newPrinter(f).txn(r)),
            await ctl(['txn', '-w', f], input),
            `txn ${JSON.stringify(input)}`,
          )
        }
      })

      it(`lease grant, keep-alive --once, revoke -w ${f}`, async () => {
        const want = await ctl(['lease', 'grant', '600', '-w', f])
        const before = new Set(
          (await a.call<pb.LeaseLeasesResponse>('Lease', 'LeaseLeases', {})).leases.map((l) => l.ID),
        )
        const id = (await b.call<pb.LeaseLeasesResponse>('Lease', 'LeaseLeases', {})).leases
          .map((l) => l.ID)
          .find((x) => !before.has(x))
        assert.ok(id !== undefined, 'etcdctl granted a lease')
        const g = await a.call('Lease', 'LeaseGrant', { ID: id, TTL: 600 })
        assertSame(
          ours(() => newPrinter(f).grant(g)),
          want,
          'lease grant',
        )

        const stream = b.clients.Lease.LeaseKeepAlive() as grpc.ClientDuplexStream<
          pb.LeaseKeepAliveRequestInit,
          pb.LeaseKeepAliveResponse
        >
        const ka = await new Promise<pb.LeaseKeepAliveResponse>((resolve, reject) => {
          stream.once('data', resolve)
          stream.once('error', reject)
          stream.write({ ID: id })
        })
        stream.cancel()
        stream.on('error', () => {})
        assertSame(
          ours(() => newPrinter(f).keepAlive(ka)),
          await ctl(['lease', 'keep-alive', '--once', id!.toString(16), '-w', f]),
          'keep-alive --once',
        )

        const rv = await a.call('Lease', 'LeaseRevoke', { ID: id })
        assertSame(
          ours(() => newPrinter(f).revoke(id!, rv)),
          await ctl(['lease', 'revoke', id!.toString(16), '-w', f]),
          'lease revoke',
        )
      })

      it(`role and user changes -w ${f}`, async () => {
        const role = `role-${f}`
        const user = `user-${f}`
        const p = newPrinter(f)
        const steps: Array<[string[], () => Promise<Output>, string?]> = [
          [['role', 'add', role], async () => p.roleAdd(role, await a.call('Auth', 'RoleAdd', { name: role }))],
          [
            ['role', 'grant-permission', role, 'readwrite', 'pre/', '--prefix'],
            async () =>
              p.roleGrantPermission(
                role,
                await a.call('Auth', 'RoleGrantPermission', {
                  name: role,
                  perm: { permType: 2, key: B('pre/'), range_end: B('pre0') },
                }),
              ),
          ],
          [
            ['role', 'revoke-permission', role, 'pre/', 'pre0'],
            async () =>
              p.roleRevokePermission(
                role,
                'pre/',
                'pre0',
                await a.call('Auth', 'RoleRevokePermission', { role, key: B('pre/'), range_end: B('pre0') }),
              ),
          ],
          [
            ['user', 'add', `${user}:secret`],
            async () =>
              p.userAdd(user, await a.call('Auth', 'UserAdd', { name: user, password: 'secret', options: {} })),
          ],
          [
            ['user', 'passwd', user, '--interactive=false'],
            async () =>
              p.userChangePassword(await a.call('Auth', 'UserChangePassword', { name: user, password: 'other' })),
            'other\n',
          ],
          [
            ['user', 'grant-role', user, role],
            async () => p.userGrantRole(user, role, await a.call('Auth', 'UserGrantRole', { user, role })),
          ],
          [
            ['user', 'revoke-role', user, role],
            async () => p.userRevokeRole(user, role, await a.call('Auth', 'UserRevokeRole', { name: user, role })),
          ],
          [
            ['user', 'delete', user],
            async () => p.userDelete(user, await a.call('Auth', 'UserDelete', { name: user })),
          ],
          [['role', 'delete', role], async () => p.roleDelete(role, await a.call('Auth', 'RoleDelete', { role }))],
        ]
        for (const [args, render, input] of steps) {
          let got: Result
          try {
            const o = await render()
            got = { code: 0, stdout: o.stdout, stderr: o.stderr }
          } catch (e) {
            if (!(e instanceof EtcdctlExit)) throw e
            got = { code: e.exitCode, stdout: Buffer.alloc(0), stderr: e.stderr }
          }
          assertSame(got, await ctl([...args, '-w', f], input ?? ''), args.join(' '))
        }
      })

      it(`member update (same peer URLs) -w ${f}`, async () => {
        const peerURLs = (await a.call<pb.MemberListResponse>('Cluster', 'MemberList', {})).members[0].peerURLs
        const r = await a.call('Cluster', 'MemberUpdate', { ID: memberId, peerURLs })
        assertSame(
          ours(() => newPrinter(f).memberUpdate(memberId, r)),
          await ctl(['member', 'update', memberId.toString(16), `--peer-urls=${peerURLs.join(',')}`, '-w', f]),
          'member update',
        )
      })
    }

    it('watch --prev-kv in every format, and --hex', async () => {
      const formats: Array<[string, boolean]> = [
        ['simple', false],
        ['simple', true],
        ['json', false],
        ['fields', false],
        ['protobuf', false],
      ]
      const watchers = formats.map(([f, hex]) => {
        const p = spawn(ETCDCTL, [
          '--endpoints',
          b.endpoint,
          'watch',
          'wk',
          '--prefix',
          '--prev-kv',
          '-w',
          f,
          ...(hex ? ['--hex'] : []),
        ])
        const out: Buffer[] = []
        p.stdout.on('data', (d: Buffer) => out.push(d))
        return { p, out }
      })
      const responses: pb.WatchResponse[] = []
      const stream = b.clients.Watch.Watch() as grpc.ClientDuplexStream<pb.WatchRequestInit, pb.WatchResponse>
      stream.on('data', (r: pb.WatchResponse) => responses.push(r))
      stream.on('error', () => {})
      stream.write({ create_request: { key: B('wk'), range_end: B('wl'), prev_kv: true } })
      await new Promise((r) => setTimeout(r, 2000))
      try {
        await both('KV', 'Put', { key: B('wk1'), value: B('a') })
        await both('KV', 'Put', { key: B('wk1'), value: Buffer.from([0xff, 0x00]) })
        await both('KV', 'DeleteRange', { key: B('wk1') })
        await both('KV', 'Txn', parseTxn('\nput wk2 x\nput wk3 y\n\n\n'))
        await new Promise((r) => setTimeout(r, 1500))
      } finally {
        stream.cancel()
        for (const w of watchers) w.p.kill('SIGKILL')
      }
      const events = responses.filter((r) => r.events.length > 0)
      assert.deepEqual(
        events.map((r) => r.events.length),
        [1, 1, 1, 2],
      )
      formats.forEach(([f, hex], i) => {
        const p = newPrinter(f, { isHex: hex })
        const got = Buffer.concat(events.map((r) => p.watch(r).stdout))
        assert.equal(
          got.toString('latin1'),
          Buffer.concat(watchers[i].out).toString('latin1'),
          `watch -w ${f}${hex ? ' --hex' : ''}`,
        )
      })
    })

    it('compaction and defrag messages', async () => {
      const rev = (await a.call<pb.RangeResponse>('KV', 'Range', { key: B('foo') })).header!.revision - 2
      await a.call('KV', 'Compact', { revision: rev })
      assertSame(
        { code: 0, stdout: B(compactedMessage(rev)), stderr: '' },
        await ctl(['compaction', String(rev)]),
        'compaction',
      )
      assertSame({ code: 0, stdout: B(defragOkMessage(b.endpoint)), stderr: '' }, await ctl(['defrag']), 'defrag')
    })
  })
})
