import assert from 'node:assert/strict'
import { interopSuite } from '../helpers/interop.js'
import { spawn } from 'node:child_process'
import { EtcdClient } from '../../src/client/client.js'
import { LeaseService } from '../../src/gen/etcdserverpb.js'
import { ETCDCTL, TSETCD, startEtcd, startTsetcd } from '../helpers/procs.js'
import { LEASE_SCRIPT, grantFixedLeases, runLeaseScript, type LeaseStepResult } from './lease-script.js'

const etcdctl = (args: string[]): [string, string[]] => [ETCDCTL, args]
const tsetcdClient = (args: string[]): [string, string[]] => [process.execPath, [TSETCD, ...args]]

function compare(expected: LeaseStepResult[], actual: LeaseStepResult[]): void {
  assert.equal(actual.length, expected.length)
  for (let i = 0; i < expected.length; i++) assert.deepEqual(actual[i], expected[i], `step ${i}: ${expected[i].args}`)
}

/**
 * `lease keep-alive <id>` until the lease is revoked under it: its stdout (one renewal, then
 * the "expired or revoked" line) and exit code.
 */
function keepAliveUntilRevoked(
  client: (args: string[]) => [string, string[]],
  endpoint: string,
): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const [cmd, args] = client(['--endpoints', endpoint, 'lease', 'keep-alive', '4000'])
    const child = spawn(cmd, args, { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'ignore'] })
    let stdout = ''
    let revoked = false
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000)
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      if (revoked || !stdout.includes('\n')) return
      revoked = true
      void (async () => {
        const c = await EtcdClient.connect({ endpoints: [endpoint] })
        await c.call(LeaseService.LeaseRevoke, { ID: 0x4000n }, 5000).finally(() => c.close())
      })().catch(reject)
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ stdout, code })
    })
  })
}

async function grantShortLease(endpoint: string): Promise<void> {
  const c = await EtcdClient.connect({ endpoints: [endpoint] })
  try {
    await c.call(LeaseService.LeaseGrant, { ID: 0x4000n, TTL: 6 }, 5000)
  } finally {
    c.close()
  }
}

describe('lease interop: etcdctl and tsetcd, against etcd and tsetcd', function () {
  this.timeout(300000)
  const servers = interopSuite()

  it('etcdctl prints the same against tsetcd as against etcd, and tsetcd prints what etcdctl prints', async () => {
    const [etcdA, ours] = await Promise.all([servers().start(startEtcd, true), servers().start(startTsetcd, false)])
    await Promise.all([grantFixedLeases(etcdA.endpoint), grantFixedLeases(ours.endpoint)])
    const [reference, etcdctlOnOurs] = await Promise.all([
      runLeaseScript(etcdctl, etcdA.endpoint, LEASE_SCRIPT),
      runLeaseScript(etcdctl, ours.endpoint, LEASE_SCRIPT),
    ])
    await etcdA.kill9()
    const etcdB = await servers().start(startEtcd, true)
    await grantFixedLeases(etcdB.endpoint)
    const oursOnEtcd = await runLeaseScript(tsetcdClient, etcdB.endpoint, LEASE_SCRIPT)
    await etcdB.kill9()
    compare(reference, etcdctlOnOurs)
    compare(reference, oursOnEtcd)
  })

  it('lease keep-alive renews until the lease is revoked, then says so and exits 0, alike on both sides', async () => {
    const [etcd, ours] = await Promise.all([servers().start(startEtcd, true), servers().start(startTsetcd, false)])
    await Promise.all([grantShortLease(etcd.endpoint), grantShortLease(ours.endpoint)])
    const runs = await Promise.all([
      keepAliveUntilRevoked(etcdctl, etcd.endpoint),
      keepAliveUntilRevoked(etcdctl, ours.endpoint),
    ])
    await Promise.all([grantShortLease(etcd.endpoint).catch(() => {}), grantShortLease(ours.endpoint).catch(() => {})])
    const oursOnEtcd = await keepAliveUntilRevoked(tsetcdClient, etcd.endpoint)
    const expected = {
      stdout: 'lease 0000000000004000 keepalived with TTL(6)\nlease 0000000000004000 expired or revoked.\n',
      code: 0,
    }
    assert.deepEqual(runs[0], expected, 'etcdctl against etcd')
    assert.deepEqual(runs[1], expected, 'etcdctl against tsetcd')
    assert.deepEqual(oursOnEtcd, expected, 'tsetcd against etcd')
  })
})
