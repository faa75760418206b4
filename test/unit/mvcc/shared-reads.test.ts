import assert from 'node:assert/strict'
import { MemoryBackend } from '../../../src/server/backend/memory-backend.js'
import { SharedReads } from '../../../src/server/mvcc/shared-reads.js'

class CountingBackend extends MemoryBackend {
  calls: number[] = []
  failNext = false

  override async get(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    this.calls.push(keys.length)
    if (this.failNext) {
      this.failNext = false
      throw new Error('disk on fire')
    }
    return super.get(keys)
  }
}

describe('SharedReads', () => {
  it('serves the reads of one event-loop turn with one backend multi-get, each its own values', async () => {
    const backend = new CountingBackend()
    const w = backend.batch()
    for (let i = 0; i < 10; i++) w.put(Buffer.from(`k${i}`), Buffer.from(`v${i}`))
    w.write()
    const reads = new SharedReads(backend)
    const asks = [['k1', 'k2'], ['nope'], ['k9', 'k1', 'k0'], []]
    const got = await Promise.all(asks.map((ks) => reads.get(ks.map((k) => Buffer.from(k)))))
    assert.deepEqual(
      got.map((vs) => vs.map((v) => v?.toString())),
      [['v1', 'v2'], [undefined], ['v9', 'v1', 'v0'], []],
    )
    assert.deepEqual(backend.calls, [6])
    await reads.get([Buffer.from('k3')])
    assert.deepEqual(backend.calls, [6, 1], 'a later turn makes its own call')
  })

  it('fails every read of the turn when the backend call fails', async () => {
    const backend = new CountingBackend()
    const reads = new SharedReads(backend)
    backend.failNext = true
    const results = await Promise.allSettled([reads.get([Buffer.from('a')]), reads.get([Buffer.from('b')])])
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    )
    assert.deepEqual((await reads.get([Buffer.from('a')])).length, 1)
  })
})
