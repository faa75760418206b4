/**
 * A call's deadline and cancellation: the gRPC layer answers DEADLINE_EXCEEDED ("context
 * deadline exceeded") for a call whose deadline has passed, and the core drops work still
 * queued for a call that is over (a read waiting for ReadIndex, a write waiting for a leader).
 */
import assert from 'node:assert/strict'
import type { EtcdServer } from '../../../src/server/etcdserver/server.js'
import { FakeNode, nextTurn, serverOn } from './fakes.js'
import { EventEmitter } from 'node:events'
import { Errors } from '../../../src/errors/rpctypes.js'
import type { PutRequest, RangeRequest } from '../../../src/gen/etcdserverpb.js'
import { unary } from '../../../src/server/api/unary.js'
import { callContext, type CancelHook } from '../../../src/server/api/call-context.js'

const server = serverOn

class FakeCall extends EventEmitter {
  constructor(
    readonly request: unknown,
    private readonly deadline: number,
  ) {
    super()
  }
  getDeadline(): number {
    return this.deadline
  }
}

type Answer = { err: { code?: number; details?: string } | null; value?: unknown }

function callUnary(
  handler: (req: unknown, ctx: { signal?: AbortSignal }) => Promise<object>,
  call: FakeCall,
): Promise<Answer> {
  const h = unary({ maxRequestBytes: 1 << 20, maxTxnOps: 128 }, handler, {
    header: () => ({ revision: 1 }),
  }) as unknown as (c: unknown, cb: (err: unknown, value?: unknown) => void) => void
  return new Promise((resolve) => h(call, (err, value) => resolve({ err: err as Answer['err'], value })))
}

describe('call deadlines and cancellation', () => {
  it('a call whose deadline has passed answers DEADLINE_EXCEEDED "context deadline exceeded" without reaching the core', async () => {
    let reached = false
    const a = await callUnary(async () => ((reached = true), {}), new FakeCall({ req: {}, size: 1 }, Date.now() - 1))
    assert.equal(reached, false)
    assert.equal(a.err?.code, 4)
    assert.equal(a.err?.details, 'context deadline exceeded')
  })

  it('the core sees the deadline pass, and the client going away, through the signal', async () => {
    const seen: unknown[] = []
    const wait = (req: unknown, ctx: { signal?: AbortSignal }) =>
      new Promise<object>((_, reject) =>
        ctx.signal!.addEventListener('abort', () => (seen.push(ctx.signal!.reason), reject(ctx.signal!.reason))),
      )
    const late = await callUnary(wait, new FakeCall({ req: {}, size: 1 }, Date.now() + 30))
    assert.equal(late.err?.code, 4)
    const call = new FakeCall({ req: {}, size: 1 }, Infinity)
    const gone = callUnary(wait, call)
    call.emit('cancelled', 'cancelled')
    assert.equal((await gone).err?.code, 1)
    assert.deepEqual(seen, [Errors.DeadlineExceeded, Errors.Canceled])
  })

  it('a linearizable read cancelled before its ReadIndex goes out leaves it unsent', async () => {
    const node = new FakeNode()
    const s = server(node)
    const ac = new AbortController()
    const read = s.range({ key: Buffer.from('a') } as RangeRequest, { signal: ac.signal })
    ac.abort(Errors.Canceled)
    await assert.rejects(read, (e) => e === Errors.Canceled)
    await nextTurn()
    assert.equal(node.asked.length, 0, 'no ReadIndex for a batch whose reads all left')
    // A read waiting for the answer fails at once when its deadline passes.
    const ac2 = new AbortController()
    const read2 = s.range({ key: Buffer.from('a') } as RangeRequest, { signal: ac2.signal })
    await nextTurn()
    assert.equal(node.asked.length, 1)
    ac2.abort(Errors.DeadlineExceeded)
    await assert.rejects(read2, (e) => e === Errors.DeadlineExceeded)
    await s.stop()
  })

  it('a linearizable read whose client goes away leaves its batch through the call context (no signal asked for)', async () => {
    const node = new FakeNode()
    const s = server(node)
    const call = new FakeCall(undefined, Infinity)
    const ctx = callContext(call)
    const read = s.range({ key: Buffer.from('a') } as RangeRequest, ctx)
    call.emit('cancelled', 'cancelled')
    await assert.rejects(read, (e) => e === Errors.Canceled)
    await nextTurn()
    assert.equal(node.asked.length, 0, 'no ReadIndex for a batch whose reads all left')
    // A read still open is answered once its ReadIndex is.
    const open = callContext(new FakeCall(undefined, Infinity))
    const read2 = s.range({ key: Buffer.from('a') } as RangeRequest, open)
    await nextTurn()
    assert.equal(node.asked.length, 1)
    s.readStates([{ index: 1, requestCtx: node.asked[0] }])
    assert.deepEqual(await read2, { kvs: [], count: 0, more: false })
    ctx.done()
    open.done()
    await s.stop()
  })

  it('a write still waiting for a leader when its call ends is never proposed', async () => {
    const node = new FakeNode()
    node.leader = 0n
    const s = server(node)
    const ac = new AbortController()
    const put = s.put({ key: Buffer.from('k'), value: Buffer.from('v') } as PutRequest, { signal: ac.signal })
    const kept = s.put({ key: Buffer.from('k2'), value: Buffer.from('v') } as PutRequest).catch(() => undefined)
    ac.abort(Errors.DeadlineExceeded)
    await assert.rejects(put, (e) => e === Errors.DeadlineExceeded)
    node.leader = 1n
    s.softState({ lead: 1n, role: 'follower' } as Parameters<EtcdServer['softState']>[0])
    assert.equal(node.proposed.length, 1, 'only the write whose call is still open is proposed')
    await s.stop()
    await kept
  })

  it('a write waiting for a leader is dropped when its client goes away (the call context, no signal asked for)', async () => {
    const node = new FakeNode()
    node.leader = 0n
    const s = server(node)
    const call = new FakeCall(undefined, Infinity)
    const ctx = callContext(call)
    const put = s.put({ key: Buffer.from('k'), value: Buffer.from('v') } as PutRequest, ctx)
    const kept = s.put({ key: Buffer.from('k2'), value: Buffer.from('v') } as PutRequest).catch(() => undefined)
    call.emit('cancelled', 'cancelled')
    await assert.rejects(put, (e) => e === Errors.Canceled)
    node.leader = 1n
    s.softState({ lead: 1n, role: 'follower' } as Parameters<EtcdServer['softState']>[0])
    assert.equal(node.proposed.length, 1, 'only the write whose call is still open is proposed')
    ctx.done()
    await s.stop()
    await kept
  })

  it('a call that takes a cancel hook tells its context directly, before its listeners, and forgets it once answered', async () => {
    class HookCall extends FakeCall {
      hook: CancelHook | null = null
      setCancelHook(h: CancelHook | null): void {
        this.hook = h
      }
      cancel(): void {
        const h = this.hook
        this.hook = null
        h?.cancelled()
        this.emit('cancelled', 'cancelled')
      }
    }
    const node = new FakeNode()
    node.leader = 0n
    const s = server(node)
    const call = new HookCall(undefined, Infinity)
    const ctx = callContext(call)
    assert.notEqual(call.hook, null)
    assert.equal(call.listenerCount('cancelled'), 0, 'no listener when the call takes a hook')
    const put = s.put({ key: Buffer.from('k'), value: Buffer.from('v') } as PutRequest, ctx)
    const kept = s.put({ key: Buffer.from('k2'), value: Buffer.from('v') } as PutRequest).catch(() => undefined)
    call.cancel()
    await assert.rejects(put, (e) => e === Errors.Canceled)
    node.leader = 1n
    s.softState({ lead: 1n, role: 'follower' } as Parameters<EtcdServer['softState']>[0])
    assert.equal(node.proposed.length, 1, 'only the write whose call is still open is proposed')
    // An answered call drops its hook: a late cancel reaches nothing.
    const answered = new HookCall(undefined, Infinity)
    callContext(answered).done()
    assert.equal(answered.hook, null)
    await s.stop()
    await kept
  })

  it('proposals that are never applied fail with "request timed out", each after the request timeout', async () => {
    const node = new FakeNode()
    const s = server(node, 30)
    const first = s.put({ key: Buffer.from('a'), value: Buffer.from('v') } as PutRequest)
    // Proposed later: still waiting when the first times out, so the timer is armed again for it.
    await new Promise((r) => setTimeout(r, 15))
    const second = s.put({ key: Buffer.from('b'), value: Buffer.from('v') } as PutRequest)
    await assert.rejects(first, (e) => e === Errors.Timeout)
    await assert.rejects(second, (e) => e === Errors.Timeout)
    // One proposed when nothing is pending any more starts the timer anew.
    const third = s.put({ key: Buffer.from('c'), value: Buffer.from('v') } as PutRequest)
    await assert.rejects(third, (e) => e === Errors.Timeout)
    assert.equal(s.pendingProposals, 0)
    assert.equal(s.proposalsFailed, 3)
    await s.stop()
  })
})
