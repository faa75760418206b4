/**
 * A txn that only reads is served as a read, as etcd's: no raft entry (the raft index stays),
 * serializable ones answered by a member without a leader; any write goes through raft.
 */
import assert from 'node:assert/strict'
import type { EtcdClient } from '../../src/client/client.js'
import { KVService, MaintenanceService, type TxnRequestInit } from '../../src/gen/etcdserverpb.js'
import { TestCluster } from '../helpers/cluster.js'

const b = (s: string) => Buffer.from(s)

/** The member's raft index and term. */
async function raftPosition(client: EtcdClient): Promise<{ index: bigint; term: bigint }> {
  const s = await client.call(MaintenanceService.Status, {}, 3000)
  return { index: s.raftIndex, term: s.raftTerm }
}

/**
 * Waits until the raft index has stayed put for a second (at most 15 s): what a member
 * started (an entry proposed late on a loaded machine) is committed before the counting.
 */
async function settled(client: EtcdClient): Promise<void> {
  const deadline = Date.now() + 15000
  let last = (await raftPosition(client)).index
  let since = Date.now()
  while (Date.now() < deadline && Date.now() - since < 1000) {
    await new Promise((r) => setTimeout(r, 100))
    const now = (await raftPosition(client)).index
    if (now !== last) {
      last = now
      since = Date.now()
    }
  }
}

/**
 * How far `work` moves the raft index. A new term appends an empty entry of its own: an
 * election during `work` (a member's heartbeats late on a loaded machine) makes it try again.
 */
async function entriesMadeBy(client: EtcdClient, work: () => Promise<void>): Promise<bigint> {
  for (let attempt = 1; ; attempt++) {
    const before = await raftPosition(client)
    await work()
    const after = await raftPosition(client)
    if (after.term === before.term || attempt === 5) return after.index - before.index
  }
}

const readTxn = (serializable: boolean): TxnRequestInit => ({
  compare: [{ key: b('k'), target: 3 /* VALUE */, result: 0 /* EQUAL */, value: b('v1') }],
  success: [
    { request_range: { key: b('k'), serializable } },
    { request_txn: { success: [{ request_range: { key: b('a'), range_end: b('z'), serializable } }] } },
  ],
  failure: [{ request_range: { key: b('other'), serializable } }],
})

describe('read-only txns', function () {
  this.timeout(120000)
  let c: TestCluster | undefined
  afterEach(async () => {
    await c?.stopAll()
    c?.remove()
    c = undefined
  })

  it('do not raise the raft index, keep the header revision, work serializable without a leader; writes still go through raft', async () => {
    c = await TestCluster.create(3)
    await Promise.all(c.members.map((m) => c!.ready(m)))
    const leader = await c.leader()
    const client = await c.client(leader)
    try {
      const put = await client.call(KVService.Put, { key: b('k'), value: b('v1') }, 5000)
      const rev = put.header!.revision
      await settled(client)
      const readOnly = await entriesMadeBy(client, async () => {
        for (const serializable of [false, true]) {
          const r = await client.call(KVService.Txn, readTxn(serializable), 5000)
          assert.equal(r.succeeded, true)
          assert.equal(r.header!.revision, rev)
          assert.equal(r.responses[0].response_range!.kvs[0].value.toString(), 'v1')
          assert.equal(r.responses[1].response_txn!.responses[0].response_range!.count, 1)
        }
      })
      assert.equal(readOnly, 0n, 'read-only txns made no raft entry')

      let n = 0
      const withWrite = await entriesMadeBy(client, async () => {
        n++
        const w = await client.call(
          KVService.Txn,
          {
            success: [{ request_put: { key: b('w'), value: b(String(n)) } }],
            failure: [{ request_range: { key: b('k') } }],
          },
          5000,
        )
        assert.equal(w.header!.revision, rev + n)
      })
      assert.equal(withWrite, 1n, 'a txn with a write is one raft entry')
    } finally {
      client.close()
    }

    // The leader and one more member gone: no leader, but serializable read-only txns still answer.
    const [other, survivorMember] = c.members.filter((m) => m !== leader)
    await Promise.all([leader.proc!.kill9(), other.proc!.kill9()])
    const survivor = await c.client(survivorMember)
    try {
      await new Promise((r) => setTimeout(r, 1000)) // past the election timeout: no leader
      const r = await survivor.call(KVService.Txn, readTxn(true), 3000)
      assert.equal(r.succeeded, true)
      assert.equal(r.responses[0].response_range!.kvs[0].value.toString(), 'v1')
      await assert.rejects(survivor.call(KVService.Txn, readTxn(false), 3000))
    } finally {
      survivor.close()
    }
  })
})
