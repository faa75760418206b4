/**
 * The core's side of a Watch call (etcdserver/watch-stream.ts): what it hands the transport's
 * sink, after the room the sink asks for, and the header it reuses within one job.
 */
import assert from 'node:assert/strict'
import {
  decodeResponseHeader,
  decodeWatchRequest,
  decodeWatchResponse,
  encodeWatchRequest,
  type ResponseHeaderInit,
  type WatchRequestInit,
} from '../../../src/gen/etcdserverpb.js'
import { Errors } from '../../../src/errors/rpctypes.js'
import type { WatchResponseSink } from '../../../src/server/etcdserver/core.js'
import { HeaderBytes, openWatchStream } from '../../../src/server/etcdserver/watch-stream.js'
import { Harness, b, settle } from '../watch/harness.js'

class Sink implements WatchResponseSink {
  readonly writable = true
  readonly sent: Buffer[] = []
  constructor(readonly headroom: number) {}
  send(response: Buffer): void {
    this.sent.push(response)
  }
  close(): void {}
  /** The responses, decoded from after the room left in front of each. */
  responses() {
    return this.sent.map((r) => decodeWatchResponse(r.subarray(this.headroom)))
  }
}

const request = (r: WatchRequestInit) => decodeWatchRequest(encodeWatchRequest(r))

describe('watch stream (core side)', () => {
  let h: Harness
  let term = 3n
  const headers = () =>
    new HeaderBytes({
      header: (): ResponseHeaderInit => ({ cluster_id: 1n, member_id: 2n, revision: 0, raft_term: term }),
    })
  beforeEach(async () => {
    h = await Harness.open()
    term = 3n
  })
  afterEach(() => h.close())

  for (const headroom of [0, 14]) {
    it(`refuses a watch the caller may not make as etcd does, after ${headroom} bytes of room`, async () => {
      h.put('/a', '1')
      const sink = new Sink(headroom)
      const stream = openWatchStream(h.hub, headers(), 1 << 20, sink, () => {
        throw Errors.PermissionDenied
      })
      stream.request(request({ create_request: { key: b('/secret') } }))
      await settle()
      const [r] = sink.responses()
      assert.equal(sink.sent.length, 1)
      assert.deepEqual(
        [r!.watch_id, r!.created, r!.canceled, r!.cancel_reason, r!.header?.revision, r!.header?.raft_term],
        [-1, true, true, 'rpc error: code = PermissionDenied desc = etcdserver: permission denied', 2, 3n],
      )
      stream.close()
    })

    it(`sends a permitted watcher's events after ${headroom} bytes of room`, async () => {
      const sink = new Sink(headroom)
      const stream = openWatchStream(h.hub, headers(), 1 << 20, sink, () => undefined)
      stream.request(request({ create_request: { key: b('/k'), watch_id: 7 } }))
      await settle()
      h.put('/k', 'v1')
      h.put('/k', 'v2')
      await settle()
      const rs = sink.responses()
      assert.deepEqual(
        rs.map((r) => [r.watch_id, r.created, r.events.map((e) => e.kv?.value.toString()), r.header?.revision]),
        [
          [7, true, [], 1],
          [7, false, ['v1'], 2],
          [7, false, ['v2'], 3],
        ],
      )
      stream.close()
    })
  }

  it('reuses the encoded header within a job, and asks the core again in the next', async () => {
    const hb = headers()
    const first = decodeResponseHeader(hb.at(5))
    assert.deepEqual([first.raft_term, first.revision], [3n, 5])
    term = 4n
    assert.equal(decodeResponseHeader(hb.at(5)).raft_term, 3n, 'the same job: the same bytes')
    assert.equal(decodeResponseHeader(hb.at(6)).raft_term, 4n, 'another revision: asked again')
    await Promise.resolve()
    assert.equal(decodeResponseHeader(hb.at(6)).raft_term, 4n)
    term = 5n
    await Promise.resolve()
    assert.equal(decodeResponseHeader(hb.at(6)).raft_term, 5n, 'the next job: asked again')
  })
})
