/**
 * A waiter whose session key is gone does not take the lock. Its lease expired (or was revoked)
 * while it waited, so its key was deleted, possibly in the same revision as the key before it;
 * the waiter behind it may then hold the lock already. The waiter fails with etcd 3.5's
 * "mutex: session is expired" instead of running as a second holder.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { EtcdClient } from '../../src/client/client.js'
import { ErrSessionExpired, Mutex, Redialing } from '../../src/client/concurrency.js'
import { KVService, LeaseService } from '../../src/gen/etcdserverpb.js'
import { removeDir, startTsetcd, type ServerProc } from '../helpers/procs.js'
import { waitFor } from '../helpers/wait.js'

describe('lock: a waiter whose session key is gone', function () {
  this.timeout(60000)
  let member: ServerProc
  let client: EtcdClient

  before(async () => {
    member = await startTsetcd()
    client = await EtcdClient.connect({ endpoints: [member.endpoint] })
  })
  after(async () => {
    client?.close()
    await member?.kill9()
    if (member) removeDir(path.dirname(member.dataDir))
  })

  const grant = async () => (await client.call(LeaseService.LeaseGrant, { TTL: 60 })).ID
  const holders = async (name: string) =>
    (
      await client.call(KVService.Range, {
        key: Buffer.from(`${name}/`),
        range_end: Buffer.from(`${name}0`),
        count_only: true,
      })
    ).count

  it('fails with "mutex: session is expired" once the lock comes its way, and leaves the lock free', async () => {
    const conn = new Redialing(client, () => EtcdClient.connect({ endpoints: [member.endpoint] }))
    const first = new Mutex(conn, await grant(), 'm')
    await first.lock()
    const leaseB = await grant()
    const second = new Mutex(conn, leaseB, 'm')
    const waiting = second.lock().then(
      () => 'held',
      (err: Error) => err.message,
    )
    await waitFor(async () => (await holders('m')) === 2, 10000, "the second waiter's key")
    // The second waiter's session ends while it waits: its key goes with its lease.
    await client.call(LeaseService.LeaseRevoke, { ID: leaseB })
    await first.unlock()
    assert.equal(await waiting, ErrSessionExpired)
    assert.equal(await holders('m'), 0)
    // The lock is free for the next session.
    const third = new Mutex(conn, await grant(), 'm')
    await third.lock()
    assert.equal(await holders('m'), 1)
    await third.unlock()
  })
})
