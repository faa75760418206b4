/**
 * A leader's appends that carry no entries (a follower's new commit index) leave after the
 * entries of their Ready are applied, in a later turn of the event loop, so that the answers
 * to those entries' clients are written first; and nothing sent later overtakes them.
 */
import assert from 'node:assert/strict'
import { makeMessage, type Message } from '../../../src/raft/index.js'
import type { RaftApplication, RaftNode } from '../../../src/server/raftnode/raft-node.js'
import { memoryNode } from './memory-node.js'
import { waitFor } from '../../helpers/wait.js'

type Event = { sent: Message } | { applied: number }

const isNotice = (e: Event): boolean => 'sent' in e && e.sent.type === 'MsgApp' && e.sent.entries.length === 0

/** Member 1 of the voters 1 and 2, elected at once; every send and applied entry is logged in order. */
async function leader(onApply: (index: number, node: RaftNode) => void = () => {}): Promise<{
  node: RaftNode
  log: Event[]
  ack: () => void
}> {
  const log: Event[] = []
  const app: RaftApplication = {
    applyEntries: (entries, n) => {
      for (const e of entries) {
        if (e.type === 'confChange') n.applyConfChange(e.data)
        else if (e.data.length > 0) {
          log.push({ applied: e.index })
          onApply(e.index, n)
        }
      }
    },
    restore: async () => undefined,
    syncApplied: () => undefined,
    snapshotBody: () => ({ index: 0, body: (async function* () {})() }),
    readStates: () => undefined,
    softState: () => undefined,
  }
  const wal = { save: async () => undefined, saveSnapshot: async () => undefined, flush: () => undefined }
  const node = memoryNode([1n, 2n], wal, {
    app,
    transport: { send: (msgs) => msgs.forEach((m) => log.push({ sent: m })), sendSnapshot: async () => true },
    preVote: false,
    advanceTicks: 20,
  })
  node.start()
  const sent = () => log.flatMap((e) => ('sent' in e ? [e.sent] : []))
  await waitFor(() => sent().some((m) => m.type === 'MsgVote'), 2000)
  const term = sent().find((m) => m.type === 'MsgVote')!.term
  node.step(makeMessage({ type: 'MsgVoteResp', from: 2n, to: 1n, term }))
  await waitFor(() => node.leader === 1n, 2000)
  /** Member 2 acknowledges everything appended so far. */
  const ack = () => node.step(makeMessage({ type: 'MsgAppResp', from: 2n, to: 1n, term, index: node.lastIndex }))
  ack()
  // the set-up's own commit notice has left before the test's log starts
  await waitFor(() => node.applied === node.lastIndex, 2000)
  await waitFor(() => log.some((e) => isNotice(e) && (e as { sent: Message }).sent.commit === node.lastIndex), 2000)
  log.length = 0
  return { node, log, ack }
}

describe('commit notices', () => {
  it('an append without entries leaves after the entries it commits are applied, in a later turn', async () => {
    let noticesWhenTheTurnEnded = -1
    let noticesAfterTheNextTurn = -1
    const { node, log, ack } = await leader((index) => {
      const notices = () => log.filter((e) => isNotice(e) && (e as { sent: Message }).sent.commit >= index).length
      // runs once the raft loop's turn (a setImmediate callback) has returned, before the next turn
      process.nextTick(() => {
        noticesWhenTheTurnEnded = notices()
        // queued after the notices' own turn
        setImmediate(() => (noticesAfterTheNextTurn = notices()))
      })
    })
    node.propose(new Uint8Array([1]))
    await waitFor(() => log.some((e) => 'sent' in e && e.sent.entries.length === 1), 2000)
    const index = node.lastIndex
    ack()
    // a heartbeat due now: the commit's Ready carries it too, and it leaves at once
    node.raw.tick()
    await waitFor(() => log.some(isNotice), 2000)
    assert.equal(noticesWhenTheTurnEnded, 0, 'no notice left in the turn that applied the entry')
    await waitFor(() => noticesAfterTheNextTurn >= 0, 2000)
    assert.equal(noticesAfterTheNextTurn, 1, 'the notice left in the next turn')
    const applied = log.findIndex((e) => 'applied' in e && e.applied === index)
    const notice = log.findIndex(isNotice)
    assert.ok(notice > applied)
    assert.equal((log[notice] as { sent: Message }).sent.commit, index)
    const heartbeat = log.findIndex((e) => 'sent' in e && e.sent.type === 'MsgHeartbeat')
    assert.ok(heartbeat >= 0 && heartbeat < applied, 'the heartbeat of the same Ready left before applying')
    await node.stop()
  })

  it('a message sent while a notice is held goes after it', async () => {
    let proposeOnApply = true
    const { node, log, ack } = await leader((_index, n) => {
      // A proposal made while the entry is applied reaches raft in the same turn of the loop.
      if (proposeOnApply) n.propose(new Uint8Array([2]))
      proposeOnApply = false
    })
    node.propose(new Uint8Array([1]))
    await waitFor(() => log.some((e) => 'sent' in e && e.sent.entries.length === 1), 2000)
    const first = node.lastIndex
    ack()
    await waitFor(() => log.some((e) => 'sent' in e && e.sent.entries.some((x) => x.index === first + 1)), 2000)
    const sent = log.flatMap((e) => ('sent' in e ? [e.sent] : []))
    const notice = sent.findIndex((m) => m.type === 'MsgApp' && m.entries.length === 0 && m.commit === first)
    const next = sent.findIndex((m) => m.entries.some((x) => x.index === first + 1))
    assert.ok(notice >= 0, 'the notice was sent')
    assert.ok(notice < next, `the notice (${notice}) went before the next append (${next})`)
    await node.stop()
  })
})
