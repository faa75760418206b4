/**
 * The Lock and Election services (gRPC and the JSON gateway) and the lock/elect commands,
 * on tsetcd and on a real etcd side by side; etcdctl's lock and elect (clientv3 concurrency)
 * and tsetcd's share locks and elections on either server.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import { EtcdClient, type ClientError } from '../../src/client/client.js'
import { LeaseService } from '../../src/gen/etcdserverpb.js'
import { LockService } from '../../src/gen/v3lockpb.js'
import { ElectionService, type LeaderResponse } from '../../src/gen/v3electionpb.js'
import { interopSuite } from '../helpers/interop.js'
import { ETCDCTL, TSETCD, startEtcd, startTsetcd, type ServerProc } from '../helpers/procs.js'
import { waitFor } from '../helpers/wait.js'

/** A long-running client process with its output collected. */
interface Proc {
  child: ChildProcess
  out: () => string
  exited: Promise<number | null>
}

function launch(cmd: string, args: string[]): Proc {
  const child = spawn(cmd, args, { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()))
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)))
  return { child, out: () => text, exited }
}

const tsetcd = (ep: string, ...a: string[]) => launch(process.execPath, [TSETCD, '--endpoints', ep, ...a])
const etcdctl = (ep: string, ...a: string[]) => launch(ETCDCTL, ['--endpoints', ep, ...a])

function post(port: number, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST' }, (res) => {
      let b = ''
      res.on('data', (d: Buffer) => (b += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const b = (s: string) => Buffer.from(s)
const noHeader = (text: string) => text.replace(/"header":\{[^}]*\},?/, '')

async function errorOf(p: Promise<unknown>): Promise<ClientError> {
  try {
    await p
  } catch (err) {
    return err as ClientError
  }
  throw new Error('expected a failure')
}

/** The service calls a program makes, with the outcomes compared between servers. */
async function serviceScript(s: ServerProc): Promise<unknown[]> {
  const c = await EtcdClient.connect({ endpoints: [s.endpoint] })
  const out: unknown[] = []
  try {
    const l1 = (await c.call(LeaseService.LeaseGrant, { TTL: 30 }, 5000)).ID
    const l2 = (await c.call(LeaseService.LeaseGrant, { TTL: 30 }, 5000)).ID
    // Lock: the second holder waits for the first to unlock.
    const a = await c.call(LockService.Lock, { name: b('svc-lock'), lease: l1 }, 5000)
    assert.equal(a.key.toString(), `svc-lock/${l1.toString(16)}`)
    let secondDone = false
    const second = c.call(LockService.Lock, { name: b('svc-lock'), lease: l2 }, 10000).then((r) => {
      secondDone = true
      return r
    })
    // A lock with the same lease is the same acquisition.
    const again = await c.call(LockService.Lock, { name: b('svc-lock'), lease: l1 }, 5000)
    out.push(again.key.equals(a.key))
    assert.equal(secondDone, false)
    await c.call(LockService.Unlock, { key: a.key }, 5000)
    const bres = await second
    assert.ok(bres.header!.revision > a.header!.revision)
    out.push(bres.key.toString().startsWith('svc-lock/'))
    await c.call(LockService.Unlock, { key: bres.key }, 5000)
    out.push((await errorOf(c.call(LockService.Lock, { name: b('svc-lock'), lease: 0x77n }, 5000))).message)

    // Election: leader, proclaim, observe in order, resign hands over.
    out.push((await errorOf(c.call(ElectionService.Leader, { name: b('svc-el') }, 5000))).message)
    const seen: string[] = []
    const obs = c.serverStream(ElectionService.Observe, { name: b('svc-el') })
    obs.on('data', (r: LeaderResponse) => seen.push(r.kv!.value.toString()))
    obs.on('error', () => undefined)
    const ca = await c.call(ElectionService.Campaign, { name: b('svc-el'), lease: l1, value: b('a1') }, 5000)
    const cb = c.call(ElectionService.Campaign, { name: b('svc-el'), lease: l2, value: b('b1') }, 10000)
    await c.call(ElectionService.Proclaim, { leader: ca.leader, value: b('a2') }, 5000)
    out.push((await c.call(ElectionService.Leader, { name: b('svc-el') }, 5000)).kv!.value.toString())
    await c.call(ElectionService.Resign, { leader: ca.leader }, 5000)
    const won = await cb
    out.push(won.leader!.key.toString() === `svc-el/${l2.toString(16)}`, won.leader!.rev > ca.leader!.rev)
    out.push((await errorOf(c.call(ElectionService.Proclaim, { leader: ca.leader, value: b('x') }, 5000))).message)
    out.push((await errorOf(c.call(ElectionService.Resign, {}, 5000))).message)
    await waitFor(() => seen.length >= 3, 10000, 'observed proclamations')
    out.push(seen.join(','))
    obs.cancel()
    const e = await errorOf(c.call(ElectionService.Proclaim, { leader: ca.leader, value: b('x') }, 5000))
    out.push(e.code)
  } finally {
    c.close()
  }
  return out
}

/** Gateway calls; the bodies without their headers. */
async function gatewayScript(s: ServerProc): Promise<string[]> {
  const port = Number(s.endpoint.split(':')[1])
  const out: string[] = []
  const name = Buffer.from('gw-el').toString('base64')
  const r1 = await post(port, '/v3/election/leader', `{"name":"${name}"}`)
  out.push(`${r1.status} ${r1.body}`)
  const camp = await post(port, '/v3/election/campaign', `{"name":"${name}","value":"${b('v1').toString('base64')}"}`)
  const leader = (JSON.parse(camp.body) as { leader: { key: string; name: string } }).leader
  out.push(`${camp.status} ${leader.name} ${Buffer.from(leader.key, 'base64').toString().split('/')[0]}`)
  const lead = await post(port, '/v3/election/leader', `{"name":"${name}"}`)
  const kv = (JSON.parse(lead.body) as { kv: { value: string; version: string } }).kv
  out.push(`${lead.status} ${kv.value} ${kv.version}`)
  const p = await post(port, '/v3/election/proclaim', `{"value":"eA=="}`)
  out.push(`${p.status} ${p.body}`)
  const res = await post(port, '/v3/election/resign', JSON.stringify({ leader }))
  out.push(`${res.status} ${noHeader(res.body)}`)
  const p2 = await post(port, '/v3/election/proclaim', JSON.stringify({ leader, value: 'eA==' }))
  out.push(`${p2.status} ${p2.body}`)
  const lk = await post(port, '/v3/lock/lock', `{"name":"${b('gw-lock').toString('base64')}"}`)
  const key = (JSON.parse(lk.body) as { key: string }).key
  out.push(`${lk.status} ${Buffer.from(key, 'base64').toString().split('/')[0]}`)
  const ul = await post(port, '/v3/lock/unlock', JSON.stringify({ key }))
  out.push(`${ul.status} ${noHeader(ul.body)}`)
  const bad = await post(port, '/v3/lock/lock', `{"name":"${b('gw-lock').toString('base64')}","lease":"99"}`)
  out.push(`${bad.status} ${bad.body}`)
  return out
}

describe('recipes interop: Lock and Election services, lock and elect commands', function () {
  this.timeout(300000)
  const servers = interopSuite()
  let etcd: ServerProc
  let ts: ServerProc

  before(async () => {
    etcd = await servers().start(startEtcd, true)
    ts = await servers().start(startTsetcd, false)
  })

  it('the services answer as etcd does over gRPC', async () => {
    const [want, got] = [await serviceScript(etcd), await serviceScript(ts)]
    assert.deepEqual(got, want)
    const said = (text: string) => want.some((o) => String(o).endsWith(text))
    assert.ok(said('election: no leader') && said('election: not leader'), JSON.stringify(want))
  })

  it('the gateway paths answer as etcd does', async () => {
    const [want, got] = [await gatewayScript(etcd), await gatewayScript(ts)]
    assert.deepEqual(got, want)
  })

  for (const target of ['etcd', 'tsetcd'] as const) {
    it(`lock: tsetcd and etcdctl holders exclude each other on ${target}`, async () => {
      const ep = (target === 'etcd' ? etcd : ts).endpoint
      const first = tsetcd(ep, 'lock', 'cmd-lock')
      await waitFor(() => first.out().includes('\n\n'), 20000, 'the first holder')
      assert.match(first.out(), /^cmd-lock\/[0-9a-f]+\n\n$/)
      const second = etcdctl(ep, 'lock', 'cmd-lock', '--', 'sh', '-c', 'echo "$ETCD_LOCK_KEY $ETCD_LOCK_REV"; exit 3')
      const third = tsetcd(ep, 'lock', 'cmd-lock', '--', 'sh', '-c', 'echo "$ETCD_LOCK_KEY $ETCD_LOCK_REV"; exit 3')
      // Both wait while the first holds.
      await new Promise((r) => setTimeout(r, 1000))
      assert.equal(second.out() + third.out(), '')
      first.child.kill('SIGINT')
      assert.equal(await first.exited, 0)
      const [c2, c3] = await Promise.all([second.exited, third.exited])
      assert.equal(c2, 1)
      assert.equal(c3, 1)
      for (const p of [second, third]) assert.match(p.out(), /^cmd-lock\/[0-9a-f]+ \d+\nError: exit status 3\n$/)
    })

    it(`elect: tsetcd and etcdctl observers see every leader in order on ${target}`, async () => {
      const ep = (target === 'etcd' ? etcd : ts).endpoint
      const o1 = tsetcd(ep, 'elect', '-l', 'cmd-el')
      const o2 = etcdctl(ep, 'elect', '-l', 'cmd-el')
      const c1 = tsetcd(ep, 'elect', 'cmd-el', 'p1')
      await waitFor(() => c1.out().includes('p1\n'), 20000, 'the first leader')
      const c2 = etcdctl(ep, 'elect', 'cmd-el', 'p2')
      const c3 = tsetcd(ep, 'elect', 'cmd-el', 'p3')
      // Each leader resigns once both observers saw it: an observer reads the leader's value
      // after the event, and a leader that is already gone shows nothing (etcd's Observe skips
      // it), so a leader that resigned at once could be missed by an observer running late.
      const observed = async (value: string): Promise<void> => {
        for (const o of [o1, o2]) await waitFor(() => o.out().includes(`${value}\n`), 20000, `observers see ${value}`)
      }
      await observed('p1')
      await new Promise((r) => setTimeout(r, 1000))
      c1.child.kill('SIGTERM')
      await waitFor(() => c2.out().includes('p2\n'), 20000, 'the second leader')
      await observed('p2')
      c2.child.kill('SIGINT')
      await waitFor(() => c3.out().includes('p3\n'), 20000, 'the third leader')
      await observed('p3')
      c3.child.kill('SIGINT')
      assert.deepEqual(await Promise.all([c1.exited, c2.exited, c3.exited]), [0, 0, 0])
      for (const o of [o1, o2]) {
        assert.match(o.out(), /^cmd-el\/[0-9a-f]+\np1\ncmd-el\/[0-9a-f]+\np2\ncmd-el\/[0-9a-f]+\np3\n$/)
        o.child.kill('SIGINT')
      }
      assert.equal(o1.out(), o2.out())
      await Promise.all([o1.exited, o2.exited])
    })
  }

  it('election failover within the lease TTL when the leader dies', async () => {
    const c = await EtcdClient.connect({ endpoints: [ts.endpoint] })
    try {
      const lease = (await c.call(LeaseService.LeaseGrant, { TTL: 3 }, 5000)).ID
      const keeper = tsetcd(ts.endpoint, 'lease', 'keep-alive', lease.toString(16))
      const observer = tsetcd(ts.endpoint, 'elect', '-l', 'fo-el')
      await c.call(ElectionService.Campaign, { name: b('fo-el'), lease, value: b('dies') }, 5000)
      const next = tsetcd(ts.endpoint, 'elect', 'fo-el', 'next')
      await waitFor(() => observer.out().includes('dies\n'), 20000, 'the first leader observed')
      // Held while its lease is renewed; lost within the TTL once the renewing process is gone.
      await new Promise((r) => setTimeout(r, 4000))
      assert.equal(next.out(), '')
      keeper.child.kill('SIGKILL')
      await waitFor(() => next.out().includes('next\n'), 20000, 'failover')
      await waitFor(() => observer.out().includes('next\n'), 20000, 'the new leader observed')
      assert.match(observer.out(), /^fo-el\/[0-9a-f]+\ndies\nfo-el\/[0-9a-f]+\nnext\n$/)
      next.child.kill('SIGINT')
      observer.child.kill('SIGINT')
      await Promise.all([next.exited, observer.exited, keeper.exited])
    } finally {
      c.close()
    }
  })
})
