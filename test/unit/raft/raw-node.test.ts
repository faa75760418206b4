import { strict as assert } from 'node:assert'
import {
  bootstrapLog,
  ErrProposalDropped,
  ErrReadyContract,
  MemoryStorage,
  RawNode,
  type RaftConfig,
  type Ready,
  decodeConfChange as decodeCc,
} from '../../../src/raft/index.js'
import { Rng } from '../../helpers/rng.js'

function newNode(
  id: bigint,
  voters: bigint[],
  extra: Partial<RaftConfig> = {},
): { rn: RawNode; storage: MemoryStorage } {
  const storage = new MemoryStorage()
  const boot = bootstrapLog(voters)
  storage.append(boot.entries)
  storage.setHardState(boot.hardState)
  const rng = new Rng(Number(id))
  const rn = new RawNode({ id, storage, electionTick: 10, heartbeatTick: 1, random: () => rng.next(), ...extra })
  return { rn, storage }
}

/** Persists, applies conf changes, advances; returns the Ready handled. */
function handle(rn: RawNode, storage: MemoryStorage): Ready {
  const rd = rn.ready()
  if (rd.snapshot) storage.applySnapshot(rd.snapshot)
  storage.append(rd.entries)
  if (rd.hardState) storage.setHardState(rd.hardState)
  for (const e of rd.committedEntries) {
    if (e.type === 'confChange') rn.applyConfChange(decodeCc(e.data))
  }
  rn.advance()
  return rd
}

describe('raft/RawNode', () => {
  it('a single member elects itself only after persisting its vote, then commits', () => {
    const { rn, storage } = newNode(1n, [1n])
    const boot = handle(rn, storage)
    assert.equal(boot.committedEntries.length, 1, 'the bootstrap conf change is applied first')
    assert.equal(rn.hasReady(), false)
    assert.throws(() => rn.propose(new Uint8Array([1])), ErrProposalDropped)

    rn.campaign()
    assert.equal(rn.status().role, 'candidate', 'the self vote waits for the disk write')
    const rd = handle(rn, storage)
    assert.deepEqual(rd.hardState, { term: 2, vote: 1n, commit: 1 })
    assert.equal(rn.status().role, 'leader')

    const lead = handle(rn, storage)
    assert.deepEqual(lead.softState, { lead: 1n, role: 'leader' })
    assert.equal(lead.entries.length, 1, 'the empty entry of the new term')
    assert.equal(lead.committedEntries.length, 0, 'not committed before it is persisted')
    const commit = handle(rn, storage)
    assert.deepEqual(
      commit.committedEntries.map((e) => e.index),
      [2],
    )

    rn.propose(new TextEncoder().encode('hello'))
    const p = handle(rn, storage)
    assert.equal(p.entries.length, 1)
    const c = handle(rn, storage)
    assert.equal(new TextDecoder().decode(c.committedEntries[0]!.data), 'hello')
    assert.equal(storage.initialState().hardState.commit, 3)
  })

  it('enforces the ready/advance cycle', () => {
    const { rn } = newNode(1n, [1n])
    assert.throws(() => rn.advance(), ErrReadyContract)
    rn.ready()
    assert.equal(rn.hasReady(), false, 'nothing more until advance')
    assert.throws(() => rn.ready(), ErrReadyContract)
    rn.advance()
  })

  it('splits messages into send-now and send-after-persist', () => {
    const a = newNode(1n, [1n, 2n])
    const b = newNode(2n, [1n, 2n])
    handle(a.rn, a.storage)
    handle(b.rn, b.storage)
    a.rn.campaign()
    const votes = handle(a.rn, a.storage)
    assert.deepEqual(
      votes.messages.map((m) => m.type),
      ['MsgVote'],
      'a vote request may leave at once',
    )
    b.rn.step(votes.messages[0]!)
    const grant = handle(b.rn, b.storage)
    assert.deepEqual(grant.messages, [])
    assert.deepEqual(
      grant.messagesAfterPersist.map((m) => m.type),
      ['MsgVoteResp'],
      'a granted vote leaves after it is on disk',
    )
    assert.equal(grant.hardState?.vote, 1n)
    a.rn.step(grant.messagesAfterPersist[0]!)
    assert.equal(a.rn.status().role, 'leader')
    const apps = handle(a.rn, a.storage)
    assert.equal(apps.messages[0]!.type, 'MsgApp', 'the leader replicates while it writes')
    assert.equal(apps.entries.length, 1)
    b.rn.step(apps.messages[0]!)
    const resp = handle(b.rn, b.storage)
    assert.deepEqual(
      resp.messagesAfterPersist.map((m) => m.type),
      ['MsgAppResp'],
      'an append is acknowledged after it is on disk',
    )
  })

  it('refuses invalid conf changes at proposal time', () => {
    const { rn, storage } = newNode(1n, [1n])
    handle(rn, storage)
    rn.campaign()
    handle(rn, storage)
    handle(rn, storage)
    handle(rn, storage)
    assert.throws(() => rn.proposeConfChange({ type: 'promoteLearner', nodeId: 3n }), /not a learner/)
    rn.proposeConfChange({ type: 'addLearner', nodeId: 3n })
    assert.throws(() => rn.proposeConfChange({ type: 'addLearner', nodeId: 4n }), /already pending/)
  })

  describe('maxUncommittedEntriesSize', () => {
    const bytes = (n: number) => new Uint8Array(n)
    function leader(extra: Partial<RaftConfig>) {
      const node = newNode(1n, [1n], extra)
      handle(node.rn, node.storage)
      node.rn.campaign()
      for (let i = 0; i < 3; i++) handle(node.rn, node.storage) // vote, empty entry, its commit
      assert.equal(node.rn.status().role, 'leader')
      return node
    }

    it('drops proposals that would push the uncommitted payload over the limit', () => {
      const { rn, storage } = leader({ maxUncommittedEntriesSize: 100 })
      rn.propose(bytes(60))
      assert.throws(() => rn.propose(bytes(60)), ErrProposalDropped, '120 bytes uncommitted would exceed 100')
      rn.propose(bytes(40)) // exactly at the limit
      assert.throws(() => rn.propose(bytes(1)), ErrProposalDropped)
      assert.throws(
        () => rn.proposeConfChange({ type: 'addLearner', nodeId: 2n }),
        ErrProposalDropped,
        'conf changes count too',
      )
      handle(rn, storage) // persisted: committed (single voter)
      const applied = handle(rn, storage)
      assert.deepEqual(
        applied.committedEntries.map((e) => e.data.byteLength),
        [60, 40],
      )
      rn.propose(bytes(100)) // applying freed the budget
      assert.throws(() => rn.propose(bytes(1)), ErrProposalDropped)
    })

    it('always takes one proposal when nothing is uncommitted, whatever its size', () => {
      const { rn } = leader({ maxUncommittedEntriesSize: 10 })
      rn.propose(bytes(1000))
      assert.throws(() => rn.propose(bytes(1)), ErrProposalDropped)
    })

    it('is unlimited when not configured (0)', () => {
      for (const extra of [{}, { maxUncommittedEntriesSize: 0 }]) {
        const { rn } = leader(extra)
        for (let i = 0; i < 100; i++) rn.propose(bytes(64 * 1024))
        assert.equal(rn.raft.log.lastIndex() - rn.status().commit, 100)
      }
    })
  })
})
