/**
 * A member that goes idle gives V8's young generation back (src/server/embed/idle-gc.ts):
 * grown by a burst of puts, it shrinks within seconds of the last request, as /metrics shows.
 */
import assert from 'node:assert/strict'
import { EtcdClient } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { removeDir, startTsetcd, type ServerProc } from '../helpers/procs.js'
import { scrape, value } from '../helpers/prom-text.js'
import { waitFor } from '../helpers/wait.js'

const MiB = 1 << 20

describe('idle member', function () {
  this.timeout(90000)
  let server: ServerProc
  before(async () => {
    server = await startTsetcd()
  })
  after(async () => {
    await server?.kill9()
    if (server) removeDir(server.dataDir)
  })

  it('shrinks the young generation a burst of puts grew, once no request comes', async () => {
    const url = `http://${server.endpoint}/metrics`
    const young = async () => value(await scrape(url), 'nodejs_heap_space_size_total_bytes', { space: 'new' })
    const c = await EtcdClient.connect({ endpoints: [server.endpoint], dialTimeoutMs: 2000 })
    try {
      const v = Buffer.alloc(1024, 'v')
      await Promise.all(
        Array.from({ length: 20 }, async (_, w) => {
          for (let i = 0; i < 300; i++)
            await c.call(KVService.Put, { key: Buffer.from(`idle/${w}/${i}`), value: v }, 10000)
        }),
      )
    } finally {
      c.close()
    }
    const grown = await young()
    assert.ok(grown > 4 * MiB, `the puts grew the young generation (${grown} bytes)`)
    // Six seconds without a collection, then one; another six seconds later if V8 still counted
    // the burst's allocations. The scrapes polled meanwhile allocate under 1 MB every 3 s, so a
    // collection they start finds the rate low too.
    await waitFor(
      async () => (await young()) <= 4 * MiB,
      30000,
      `the young generation (${grown} bytes after the puts) to shrink to 4 MiB or less`,
      3000,
    )
  })
})
