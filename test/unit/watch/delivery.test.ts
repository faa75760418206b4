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
    assert.equal(d.batches.get(b!), e1.alone)
    assert.equal(d.batches.get(c!), e2.alone)
    assert.deepEqual(d.batches.get(a!), [e1, e2, e2])
    assert.notEqual(d.batches.get(a!), e1.alone)
    // The shared lists are unchanged.
    assert.deepEqual(e1.alone, [e1])
    assert.deepEqual(e2.alone, [e2])
  })
})
