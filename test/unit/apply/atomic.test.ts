/**
 * A request that fails changes nothing: not the store, the revision, the key index, the
 * lessor's key attachments nor what watchers see; and the other requests of its apply batch
 * still apply. Checked through KvStateMachine.applyBatch on both backends.
 */
import assert from 'node:assert/strict'
import {
  Compare_CompareResult as Result,
  Compare_CompareTarget as Target,
  type RequestOpInit,
  type TxnRequestInit,
} from '../../../src/gen/etcdserverpb.js'
import { Errors } from '../../../src/errors/rpctypes.js'
import { settle } from '../watch/harness.js'
import { AppliedState, type Snapshot } from './applied-state.js'
import { plantWriteFailure } from './plant.js'
import { b } from './requests.js'

const FROM_KEY = Buffer.from([0])
const LEASE = 5n

const put = (
  key: string,
  value = '',
  o: { lease?: bigint; ignore_value?: boolean; ignore_lease?: boolean } = {},
): RequestOpInit => ({
  request_put: { key: b(key), value: b(value), ...o },
})
const delFrom = (key: string): RequestOpInit => ({ request_delete_range: { key: b(key), range_end: FROM_KEY } })
const txn = (m: TxnRequestInit): RequestOpInit => ({ request_txn: m })

for (const kind of ['memory', 'rocks'] as const) {
  describe(`apply: a failed request changes nothing (${kind} backend)`, () => {
    let s: AppliedState
    let before: Snapshot

    beforeEach(async () => {
      s = await AppliedState.open(kind)
      assert.equal(s.one({ lease_grant: { ID: LEASE, TTL: 60 } }).ok, true)
      const setup = s.apply(
        { put: { key: b('p/a'), value: b('1') } },
        { put: { key: b('p/b'), value: b('2'), lease: LEASE } },
        { put: { key: b('p/c'), value: b('3') } },
        { put: { key: b('p/d'), value: b('4'), lease: LEASE } },
      )
      assert.ok(setup.every((a) => a.ok))
      await settle()
      before = await s.snapshot()
      assert.equal(before.revision, 5)
      assert.deepEqual(before.leases, [{ id: LEASE, keys: ['p/b', 'p/d'] }])
      assert.equal(s.watched().length, 4)
    })

    afterEach(() => s.close())

    let n = 0

    /**
     * Applies `failing` then a put of a new key q/N in the same batch; checks that only the
     * put happened (store, revision, records, index, leases, commit listeners, watcher).
     */
    async function expectNoChange(failing: TxnRequestInit, err: Error): Promise<void> {
      const pre = await s.snapshot()
      const watched = s.watched()
      const key = `q/${++n}`
      const [bad, good] = s.apply({ txn: failing }, { put: { key: b(key), value: b('x') } })
      assert.deepEqual(bad, { ok: false, err })
      const rev = pre.revision + 1
      assert.equal(good.ok && good.res.header?.revision, rev, 'the later request applies, at the next revision')
      await settle()
      assert.deepEqual(await s.snapshot(), {
        ...pre,
        revision: rev,
        committedRevision: rev,
        kvs: [...pre.kvs, [key, 'x', rev, rev, 1, 0n]],
        records: [...pre.records, `${rev}.0`],
        indexedKeys: pre.indexedKeys + 1,
        commits: [...pre.commits, `PUT ${key}@${rev}`],
      })
      assert.deepEqual(s.watched(), [...watched, `PUT ${key}@${rev}`], 'the watcher sees the later request only')
    }

    it('refuses a delete from p/a then a put of p/d with ignore_value (deleted by the delete): key not found', async () => {
      await expectNoChange({ success: [delFrom('p/a'), put('p/d', '', { ignore_value: true })] }, Errors.KeyNotFound)
    })

    it('refuses a put with ignore_lease of a key the same txn deleted, and keeps the lease attachments', async () => {
      await expectNoChange({ success: [delFrom('p/a'), put('p/b', 'new', { ignore_lease: true })] }, Errors.KeyNotFound)
      assert.equal(s.lessor.leaseOf(b('p/b')), LEASE)
    })

    it('follows nested txns: a delete in a nested txn hides the key from a later put, and the reverse', async () => {
      const exists = { key: b('p/a'), target: Target.VERSION, result: Result.GREATER, version: 0 }
      await expectNoChange(
        {
          success: [
            txn({ compare: [exists], success: [delFrom('p/a')], failure: [put('z')] }),
            put('p/c', '', { ignore_value: true }),
          ],
        },
        Errors.KeyNotFound,
      )
      await expectNoChange(
        {
          failure: [delFrom('p/b'), txn({ success: [put('p/c', '', { ignore_lease: true })] })],
          compare: [{ ...exists, result: Result.LESS }],
        },
        Errors.KeyNotFound,
      )
    })

    it('lets a put with ignore_value through when an earlier op of the same txn created the key', async () => {
      const [r] = s.apply({
        txn: {
          success: [put('new', 'v', { lease: LEASE }), put('new', '', { ignore_value: true, ignore_lease: true })],
        },
      })
      assert.equal(r.ok, true)
      assert.deepEqual(
        (await s.snapshot()).kvs.find((kv) => kv?.[0] === 'new'),
        ['new', 'v', 6, 6, 2, LEASE],
      )
    })

    it('refuses a put with an unknown lease after a delete in the same txn: lease not found', async () => {
      await expectNoChange({ success: [delFrom('p/a'), put('n', 'v', { lease: 999n })] }, Errors.LeaseNotFound)
    })

    it('finds each of these failures before the first write', () => {
      const exists = { key: b('p/a'), target: Target.VERSION, result: Result.GREATER, version: 0 }
      const refused: [TxnRequestInit, Error][] = [
        [{ success: [delFrom('p/a'), put('p/d', '', { ignore_value: true })] }, Errors.KeyNotFound],
        [{ success: [delFrom('p/a'), put('p/b', 'new', { ignore_lease: true })] }, Errors.KeyNotFound],
        [
          { success: [txn({ compare: [exists], success: [delFrom('p/a')] }), put('p/c', '', { ignore_value: true })] },
          Errors.KeyNotFound,
        ],
        [{ success: [delFrom('p/a'), txn({ success: [put('p/c', '', { ignore_lease: true })] })] }, Errors.KeyNotFound],
        [{ success: [delFrom('p/a'), put('n', 'v', { lease: 999n })] }, Errors.LeaseNotFound],
        [{ success: [put('n', 'v'), { request_range: { key: b('n'), revision: 100 } }] }, Errors.FutureRev],
      ]
      const restore = plantWriteFailure(0, new Error('a write was attempted'))
      try {
        for (const [req, err] of refused) assert.deepEqual(s.one({ txn: req }), { ok: false, err })
        assert.deepEqual(s.one({ put: { key: b('n'), value: b('v'), lease: 999n } }), {
          ok: false,
          err: Errors.LeaseNotFound,
        })
        assert.deepEqual(s.one({ put: { key: b('n'), ignore_value: true } }), { ok: false, err: Errors.KeyNotFound })
      } finally {
        restore()
      }
    })

    it('rolls back a request that throws an etcd error after its first write (a delete); the batch goes on', async () => {
      const restore = plantWriteFailure(1, Errors.KeyNotFound)
      try {
        await expectNoChange({ success: [delFrom('p/a'), put('n', 'v')] }, Errors.KeyNotFound)
      } finally {
        restore()
      }
    })

    it('rolls back puts and deletes of a txn that created, changed and removed keys', async () => {
      const restore = plantWriteFailure(4, Errors.KeyNotFound)
      try {
        const ops = [
          put('new/1', 'a', { lease: LEASE }),
          put('p/a', 'x', { lease: LEASE }),
          delFrom('new/'),
          put('new/1', 'again'),
          put('p/b', 'y'),
        ]
        await expectNoChange({ success: ops }, Errors.KeyNotFound)
      } finally {
        restore()
      }
    })

    it('lets a bug (a non-etcd error) after the first write propagate, without its writes in the batch', () => {
      const bug = new Error('planted bug')
      const restore = plantWriteFailure(2, bug)
      try {
        assert.throws(
          () =>
            s.apply(
              { put: { key: b('p/a'), value: b('first') } },
              { txn: { success: [put('new', 'y'), put('p/c', 'x')] } },
            ),
          (e) => e === bug,
        )
      } finally {
        restore()
      }
      const store = s.f.store
      assert.equal(store.currentRevision, before.revision + 1, 'only the first request of the batch is in it')
      assert.equal(store.indexedKeys, 4, 'the key the failed txn created is not in the index')
      assert.equal(store.committedRevision, before.revision, 'nothing was committed')
    })
  })
}
