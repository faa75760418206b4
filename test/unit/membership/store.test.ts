import assert from 'node:assert/strict'
import { MemoryBackend } from '../../../src/server/backend/memory-backend.js'
import { MemberStore } from '../../../src/server/membership/store.js'
import {
  decodeConfContext,
  encodeConfContext,
  type ConfContext,
  type Member,
} from '../../../src/server/membership/member.js'
import { parsePeerUrls } from '../../../src/server/membership/peer-urls.js'
import { newMemberId } from '../../../src/server/etcdserver/reconfig.js'
import { decodeConfChange, encodeConfChange, bootstrapLog, type ConfChange } from '../../../src/raft/index.js'
import { Errors } from '../../../src/errors/rpctypes.js'

const m = (id: bigint, url: string, extra: Partial<Member> = {}): Member => ({
  id,
  name: `m${id}`,
  peerURLs: [url],
  clientURLs: [],
  isLearner: false,
  ...extra,
})

/** Applies a change the way the member does: validated, then written in one batch. */
function change(store: MemberStore, backend: MemoryBackend, cc: ConfChange, ctx: ConfContext = {}) {
  const err = store.validate(cc, ctx)
  if (err) return err
  const wb = backend.batch()
  const r = store.apply(cc, ctx, wb)
  wb.write()
  return r
}

describe('membership: conf change context', () => {
  it('round-trips the member and the request ID (64-bit values as hex) inside a raft conf change', () => {
    const member = m(0xfedcba9876543210n, 'http://10.0.0.1:2380', {
      name: 'n1',
      clientURLs: ['http://10.0.0.1:2379'],
      isLearner: true,
    })
    const ctx: ConfContext = { request: 0xffffffffffffffffn, member }
    const cc = decodeConfChange(
      encodeConfChange({ type: 'addLearner', nodeId: member.id, context: encodeConfContext(ctx) }),
    )
    assert.equal(cc.type, 'addLearner')
    assert.deepEqual(decodeConfContext(cc.context), ctx)
    assert.match(Buffer.from(cc.context!).toString(), /"id":"fedcba9876543210"/)
  })

  it('an empty context (bootstrap entries of older data dirs) decodes to {}; updateNode keeps its kind', () => {
    assert.deepEqual(decodeConfContext(undefined), {})
    assert.deepEqual(decodeConfContext(new Uint8Array(0)), {})
    const c = decodeConfContext(encodeConfContext({ kind: 'publish', member: m(1n, 'http://a:1') }))
    assert.equal(c.kind, 'publish')
    assert.throws(() => decodeConfContext(Buffer.from('{"member":{"id":"zz"}}')))
  })

  it('the bootstrap log carries each initial member in its conf change', () => {
    const boot = bootstrapLog([1n, 2n], [], (id) => encodeConfContext({ member: m(id, `http://h${id}:2380`) }))
    const members = boot.entries.map((e) => decodeConfContext(decodeConfChange(e.data).context).member)
    assert.deepEqual(
      members.map((x) => x?.peerURLs),
      [['http://h1:2380'], ['http://h2:2380']],
    )
  })

  it('updateNode changes nothing in the raft configuration', () => {
    const cc = decodeConfChange(encodeConfChange({ type: 'updateNode', nodeId: 5n }))
    assert.equal(cc.type, 'updateNode')
  })
})

describe('membership: member store', () => {
  it('adds, updates, promotes and removes members; reopening the backend gives the same store', async () => {
    const backend = new MemoryBackend()
    const s = await MemberStore.open(backend)
    assert.equal(s.empty, true)
    change(s, backend, { type: 'addNode', nodeId: 1n }, { member: m(1n, 'http://a:1') })
    change(s, backend, { type: 'addLearner', nodeId: 2n }, { member: m(2n, 'http://b:1', { name: '' }) })
    assert.equal(s.get(2n)?.isLearner, true)
    change(
      s,
      backend,
      { type: 'updateNode', nodeId: 2n },
      { kind: 'publish', member: m(2n, 'ignored', { name: 'b', clientURLs: ['http://b:2'] }) },
    )
    assert.deepEqual(
      [s.get(2n)?.name, s.get(2n)?.peerURLs, s.get(2n)?.clientURLs],
      ['b', ['http://b:1'], ['http://b:2']],
    )
    change(s, backend, { type: 'updateNode', nodeId: 2n }, { kind: 'update', member: m(2n, 'http://b:9') })
    assert.deepEqual(s.get(2n)?.peerURLs, ['http://b:9'])
    assert.equal(s.get(2n)?.name, 'b')
    change(s, backend, { type: 'promoteLearner', nodeId: 2n })
    assert.equal(s.get(2n)?.isLearner, false)
    change(s, backend, { type: 'removeNode', nodeId: 1n })
    assert.equal(s.get(1n), undefined)
    assert.equal(s.isRemoved(1n), true)
    const again = await MemberStore.open(backend)
    assert.deepEqual(again.members(), s.members())
    assert.equal(again.isRemoved(1n), true)
  })

  it("refuses what etcd's ValidateConfigurationChange refuses", async () => {
    const backend = new MemoryBackend()
    const s = await MemberStore.open(backend)
    change(s, backend, { type: 'addNode', nodeId: 1n }, { member: m(1n, 'http://a:1') })
    change(s, backend, { type: 'addNode', nodeId: 2n }, { member: m(2n, 'http://b:1') })
    assert.equal(
      change(s, backend, { type: 'addNode', nodeId: 1n }, { member: m(1n, 'http://c:1') }),
      Errors.MemberExist,
    )
    assert.equal(
      change(s, backend, { type: 'addNode', nodeId: 3n }, { member: m(3n, 'http://a:1') }),
      Errors.PeerURLExist,
    )
    assert.equal(
      change(s, backend, { type: 'updateNode', nodeId: 2n }, { kind: 'update', member: m(2n, 'http://a:1') }),
      Errors.PeerURLExist,
    )
    assert.equal(
      (
        change(s, backend, { type: 'updateNode', nodeId: 2n }, { kind: 'update', member: m(2n, 'http://b:1') }) as {
          type?: string
        }
      ).type,
      'updated',
    )
    assert.equal(change(s, backend, { type: 'removeNode', nodeId: 9n }), Errors.MemberNotFound)
    assert.equal(change(s, backend, { type: 'promoteLearner', nodeId: 1n }), Errors.MemberNotLearner)
    assert.equal(change(s, backend, { type: 'promoteLearner', nodeId: 9n }), Errors.MemberNotFound)
    change(s, backend, { type: 'addLearner', nodeId: 3n }, { member: m(3n, 'http://c:1') })
    assert.equal(
      change(s, backend, { type: 'addLearner', nodeId: 4n }, { member: m(4n, 'http://d:1') }),
      Errors.TooManyLearners,
    )
    change(s, backend, { type: 'removeNode', nodeId: 2n })
    // A removed ID is never reused.
    assert.equal(
      change(s, backend, { type: 'addNode', nodeId: 2n }, { member: m(2n, 'http://b:1') }),
      Errors.MemberNotFound,
    )
  })

  it('records refused conf changes by raft index, so a replay skips them in raft too', async () => {
    const backend = new MemoryBackend()
    const s = await MemberStore.open(backend)
    const wb = backend.batch()
    s.markRefused(42, wb)
    wb.write()
    assert.equal((await MemberStore.open(backend)).wasRefused(42), true)
    assert.equal(s.wasRefused(41), false)
  })

  it('an add without a member in its context (old bootstrap entry) takes the seed', async () => {
    const backend = new MemoryBackend()
    const s = await MemberStore.open(backend)
    const wb = backend.batch()
    s.apply({ type: 'addNode', nodeId: 7n }, {}, wb, m(7n, 'http://g:1'))
    wb.write()
    assert.equal(s.get(7n)?.name, 'm7')
  })
})

describe('membership: peer URLs and new member IDs', () => {
  it('takes URLs as etcd types.NewURLs does', () => {
    assert.deepEqual(parsePeerUrls(['http://b:2', 'https://a:1']), ['http://b:2', 'https://a:1'])
    for (const bad of ['http://x:1/', 'http://x', 'ftp://x:1', 'x:1', '', 'http://x:1/path'])
      assert.equal(parsePeerUrls([bad]), undefined, bad)
    assert.equal(parsePeerUrls([]), undefined)
  })

  it('derives a member ID from the sorted peer URLs and the time, as etcd NewMember does for MemberAdd', () => {
    // sha1("http://127.0.0.1:2380" + "" + "1700000000")[0:8]
    const id = newMemberId(['http://127.0.0.1:2380'], 1700000000)
    assert.equal(id, 0x71b3e183c260adben)
    assert.notEqual(id, newMemberId(['http://127.0.0.1:2380'], 1700000001))
  })
})
