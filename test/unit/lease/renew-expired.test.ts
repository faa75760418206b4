/**
 * A keep-alive of a lease that has expired but is not revoked yet waits for the revoke (as
 * etcd's lessor.Renew waits on revokec), so a client told TTL 0 finds the keys gone; a
 * demotion ends the wait (the renewal goes elsewhere), and so does the request deadline.
 */
import assert from 'node:assert/strict'
import { Errors } from '../../../src/errors/rpctypes.js'
import { LeaseCore, type LeaseHost } from '../../../src/server/lease/lease-core.js'
import { LeaseHarness } from './harness.js'

class FakeHost implements LeaseHost {
  memberId = 1n
  leaderId = 1n
  constructor(private readonly h: LeaseHarness) {}
  async proposeRequest<T>(req: Parameters<LeaseHarness['one']>[0]): Promise<T> {
    return this.h.one(req) as T
  }
}

const noPeers = { post: async () => ({ status: 503, value: {} }) }

function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false
  p.then(
    () => (done = true),
    () => (done = true),
  )
  return new Promise((r) => setTimeout(() => r(done), 50))
}

describe('renewing an expired lease', () => {
  let h: LeaseHarness
  let host: FakeHost
  let core: LeaseCore
  beforeEach(async () => {
    h = await LeaseHarness.open()
    host = new FakeHost(h)
    core = new LeaseCore(h.lessor, host, noPeers, { requestTimeoutMs: 400, retryMs: 10 })
    h.lessor.promote(0)
    h.grant(1n, 5)
    h.put('k', 'v', 1n)
  })
  afterEach(() => h.close())

  it('renews a live lease at once', async () => {
    assert.equal(await core.renew(1n), 5)
  })

  it('answers "not found" only once the revoke is applied, when the keys are gone', async () => {
    h.clock.advance(6_000)
    const renewal = core.renew(1n)
    assert.equal(await settled(renewal), false, 'waits while the revoke is pending')
    assert.ok(await h.get('k'))
    h.one({ lease_revoke: { ID: 1n } })
    await assert.rejects(renewal, (e) => e === Errors.LeaseNotFound)
    assert.equal(await h.get('k'), undefined)
  })

  it('stops waiting when the lessor is demoted (the renewal is retried on the leader)', async () => {
    h.clock.advance(6_000)
    const renewal = core.renew(1n)
    assert.equal(await settled(renewal), false)
    host.leaderId = 0n
    h.lessor.demote()
    await assert.rejects(renewal, (e) => e === Errors.NoLeader)
  })

  it('gives up at the request deadline when the revoke does not come', async () => {
    h.clock.advance(6_000)
    const t0 = Date.now()
    await assert.rejects(core.renew(1n), (e) => e === Errors.Timeout)
    assert.ok(Date.now() - t0 >= 350, 'waited until the deadline')
    assert.ok(await h.get('k'))
  })

  it('answers "not found" at once for a lease that does not exist', async () => {
    await assert.rejects(core.renew(42n), (e) => e === Errors.LeaseNotFound)
  })
})
