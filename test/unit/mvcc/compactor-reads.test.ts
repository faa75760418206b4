/** A compaction removes nothing while a read below its revision is in flight. */
import assert from 'node:assert/strict'
import { MemoryBackend } from '../../../src/server/backend/memory-backend.js'
import { CompactionJob, Compactor } from '../../../src/server/mvcc/compactor.js'
import { RevKeyScratch } from '../../../src/server/mvcc/revision.js'

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
}

describe('mvcc compactor: reads in flight', () => {
  it('waits for reads below its revision, not for reads at or above it', async () => {
    const backend = new MemoryBackend()
    const key = new RevKeyScratch().key(3, 0, false)
    const wb = backend.batch()
    wb.put(Buffer.from(key), Buffer.from('old'))
    wb.write()
    const c = new Compactor(backend, 1000)
    const below = c.holdRead(4)
    const above = c.holdRead(10)
    const job = new CompactionJob(10, [3, 0, 0])
    let finished = false
    void job.done.then(() => (finished = true))
    c.schedule(job)
    await turns(20)
    assert.equal(finished, false, 'the compaction waits for the read at 4')
    assert.notEqual(backend.getSync([Buffer.from(key)])[0], undefined, 'and removed nothing yet')
    below()
    await job.done
    assert.equal(backend.getSync([Buffer.from(key)])[0], undefined)
    above()
    below() // a second release changes nothing
    await c.idle()
  })
})
