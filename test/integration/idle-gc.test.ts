/**
 * A member that goes idle gives V8's young generation back (src/server/embed/idle-gc.ts):
 * grown by a burst of puts, it shrinks within seconds of the last request, as /metrics shows.
 */
import assert from 'node:assert/strict'
import { EtcdClient } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { removeDir, startTsetcd, type ServerProc } from '../helpers/procs.js'
import { scrape, value } from '../helpers/prom-text.js'
import { sleep } from '../helpers/wait.js'

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
    // Six seconds without a collection, then one; a second six seconds later if V8 still counted
    // the burst's allocations (and this scrape's: rendering /metrics allocates megabytes, so
    // it is not polled meanwhile).
    await sleep(14000)
    const idle = await young()
    assert.ok(idle <= 4 * MiB, `the young generation shrank from ${grown} bytes (now ${idle})`)
  })
})
