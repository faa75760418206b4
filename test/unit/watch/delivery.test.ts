import assert from 'node:assert/strict'
import { Event_EventType } from '../../../src/gen/mvccpb.js'
import { CommitDelivery } from '../../../src/server/watch/delivery.js'
import { WatchEvent } from '../../../src/server/watch/event.js'
import type { Watcher } from '../../../src/server/watch/watcher.js'

const ev = (key: string, rev: number): WatchEvent =>
  new WatchEvent(Event_EventType.PUT, {
    key: Buffer.from(key),
    value: Buffer.from('v'),
    create_revision: rev,
    mod_revision: rev,
    version: 1,
    lease: 0n,
  })

const listOf = (d: CommitDelivery, w: Watcher): readonly WatchEvent[] | undefined => {
  const i = d.watchers.indexOf(w)
  return i < 0 ? undefined : d.lists[i]
}

describe('CommitDelivery', () => {
  it('shares one list among the watchers that get one event, and gives a second event a list of its own', () => {
    const [a, b, c] = [{}, {}, {}] as Watcher[]
    const e1 = ev('k1', 5)
    const e2 = ev('k2', 5)
    const d = new CommitDelivery(5)
    d.add(a!, e1)
    d.add(b!, e1)
    d.add(c!, e2)
    d.add(a!, e2)
    d.add(a!, e2)
    assert.deepEqual(d.watchers, [a, b, c], 'each watcher once, in the order first matched')
    assert.equal(d.lists.length, 3)
    assert.equal(listOf(d, b!), e1.alone)
    assert.equal(listOf(d, c!), e2.alone)
    assert.deepEqual(listOf(d, a!), [e1, e2, e2])
    assert.notEqual(listOf(d, a!), e1.alone)
    // The shared lists are unchanged.
    assert.deepEqual(e1.alone, [e1])
    assert.deepEqual(e2.alone, [e2])
  })

  it("is not misled by a watcher's mark from an earlier delivery, sent or still waiting", () => {
    const [a, b] = [{}, {}] as Watcher[]
    const first = new CommitDelivery(5)
    first.add(a!, ev('k1', 5))
    first.add(b!, ev('k2', 5))
    // `first` still waits (not sent, marks not cleared) while the next commit's is built.
    const e3 = ev('k3', 6)
    const second = new CommitDelivery(6)
    second.add(b!, e3)
    second.add(a!, e3)
    second.add(b!, e3)
    assert.deepEqual(second.watchers, [b, a])
    assert.deepEqual(listOf(second, b!), [e3, e3])
    assert.equal(listOf(second, a!), e3.alone)
    assert.deepEqual(first.watchers, [a, b], 'the first delivery is unchanged')
    assert.equal(first.lists[0]!.length, 1)
    assert.equal(first.lists[1]!.length, 1)
  })
})
