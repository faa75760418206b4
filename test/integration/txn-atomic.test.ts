/**
 * A txn that fails part-way changes nothing, through a real `tsetcd serve`: the txn command
 * deletes from p/a then puts p/d with --ignore-value (p/d was just deleted), gets etcd's
 * "key not found", and neither the revision, the keys nor a watcher started before it move.
 */
import assert from 'node:assert/strict'
import type * as grpc from '@grpc/grpc-js'
import { EtcdClient } from '../../src/client/client.js'
import { KVService, WatchService, type WatchRequestInit, type WatchResponse } from '../../src/gen/etcdserverpb.js'
import { TSETCD, removeDir, run, startTsetcd, type ServerProc } from '../helpers/procs.js'

const b = (s: string): Buffer => Buffer.from(s)
const ALL = { key: Buffer.from([0]), range_end: Buffer.from([0]) }

async function until(cond: () => boolean, what: string, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('txn: a request that fails changes nothing (tsetcd serve)', function () {
  this.timeout(60000)
  let s: ServerProc
  let client: EtcdClient
  let watch: grpc.ClientDuplexStream<WatchRequestInit, WatchResponse> | undefined

  before(async () => {
    s = await startTsetcd()
    client = await EtcdClient.connect({ endpoints: [s.endpoint], dialTimeoutMs: 2000 })
  })

  after(async () => {
    watch?.cancel()
    client?.close()
    await s?.kill9()
    if (s) removeDir(s.dataDir)
  })

  it('answers "etcdserver: key not found" and leaves the revision, the keys and a watcher alone', async () => {
    for (const [key, value] of [
      ['p/a', '1'],
      ['p/b', '2'],
      ['p/c', '3'],
      ['p/d', '4'],
    ]) {
      await client.call(KVService.Put, { key: b(key), value: b(value) })
    }
    const before = await client.call(KVService.Range, ALL)
    const rev = before.header!.revision
    assert.deepEqual(
      before.kvs.map((kv) => kv.key.toString()),
      ['p/a', 'p/b', 'p/c', 'p/d'],
    )

    const responses: WatchResponse[] = []
    watch = client.duplex(WatchService.Watch)
    watch.on('data', (r: WatchResponse) => responses.push(r))
    watch.on('error', () => {})
    watch.write({ create_request: ALL })
    await until(() => responses.some((r) => r.created), 'the watch to be created')

    const r = await run(process.execPath, [TSETCD, '--endpoints', s.endpoint, 'txn'], {
      input: '\ndel p/a --from-key\nput p/d --ignore-value\n\n\n',
    })
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /etcdserver: key not found/)
    assert.equal(r.stdout, '')

    const after = await client.call(KVService.Range, ALL)
    assert.equal(after.header!.revision, rev, 'the revision did not move')
    assert.deepEqual(after.kvs, before.kvs, 'every key is still there, unchanged')

    // Watch events come in revision order: if the first one is the put below, the failed txn
    // sent none.
    const marker = await client.call(KVService.Put, { key: b('marker'), value: b('m') })
    assert.equal(marker.header!.revision, rev + 1)
    await until(() => responses.some((x) => x.events.length > 0), 'the watcher to see the marker')
    const events = responses.flatMap((x) => x.events).map((e) => [e.type, e.kv!.key.toString(), e.kv!.mod_revision])
    assert.deepEqual(events, [[0, 'marker', rev + 1]])
  })
})
