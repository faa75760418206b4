import assert from 'node:assert/strict'
import type http from 'node:http'
import type net from 'node:net'
import { PeerListener } from '../../../src/server/peer/listener.js'
import { decodeMessage } from '../../../src/server/peer/codec.js'
import { FrameDecoder } from '../../../src/server/peer/frame-decoder.js'
import { makeMessage, type Message } from '../../../src/raft/types.js'
import { sleep, startNode, waitFor, type Node } from './harness.js'

/**
 * A receiver that accepts the stream handshake and then stops reading, like a member stuck in a
 * long pause; `resume()` lets it read again and decodes what arrives.
 */
class PausedReceiver {
  private listener: PeerListener | undefined
  stream: net.Socket | undefined
  readonly received: Message[] = []
  private readonly decoder = new FrameDecoder(64 << 20)

  async listen(): Promise<string> {
    const onUpgrade = (_req: http.IncomingMessage, s: net.Socket, head: Buffer): void => {
      this.stream = s
      s.write('HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: tsetcd-raft-stream\r\n\r\n')
      s.pause()
      const take = (c: Buffer): void => this.decoder.push(c, (f) => this.received.push(decodeMessage(f)))
      take(head)
      s.on('data', take)
      s.on('error', () => {})
    }
    const ignore = (): void => {}
    const log = { debug: ignore, info: ignore, warn: ignore }
    this.listener = await PeerListener.listen(
      'http://127.0.0.1:0',
      undefined,
      { onStream: ignore, onRequest: ignore, onUpgrade },
      log,
    )
    return this.listener.url
  }

  resume(): void {
    this.stream?.resume()
  }

  close(): Promise<void> {
    return this.listener?.close() ?? Promise.resolve()
  }
}

function app(seq: number, bytes: number): Message {
  return makeMessage({
    type: 'MsgApp',
    from: 1n,
    to: 2n,
    term: 1,
    index: seq,
    entries: [{ term: 1, index: seq + 1, type: 'normal', data: Buffer.alloc(bytes, seq & 0xff) }],
  })
}

describe('peer transport: back-pressure', function () {
  this.timeout(20_000)
  let a: Node | undefined
  let rx: PausedReceiver | undefined
  afterEach(async () => {
    await a?.transport.stop()
    await rx?.close()
    a = rx = undefined
  })

  it('a receiver that stops reading bounds the sender’s queue; the excess is dropped and reported', async () => {
    rx = new PausedReceiver()
    const url = await rx.listen()
    const maxMessages = 64
    const maxBytes = 1 << 20
    a = await startNode(1n, { queue: { maxMessages, maxBytes }, maxBatchBytes: 256 << 10 })
    a.transport.addPeer(2n, [url])
    await waitFor(() => a!.transport.activeSince(2n) !== undefined, 5000, 'stream up')

    const total = 3000
    const msgBytes = 16 << 10 // 3000 × 16 KiB ≈ 47 MiB offered
    let maxQueued = 0
    let maxQueuedBytes = 0
    let maxBuffered = 0
    for (let seq = 0; seq < total; seq += 50) {
      const batch: Message[] = []
      for (let i = seq; i < seq + 50; i++) batch.push(app(i, msgBytes))
      a.transport.send(batch)
      await new Promise((r) => setImmediate(r))
      const st = a.transport.peerStatus(2n)!
      maxQueued = Math.max(maxQueued, st.queuedMessages)
      maxQueuedBytes = Math.max(maxQueuedBytes, st.queuedBytes)
      maxBuffered = Math.max(maxBuffered, st.bufferedBytes)
    }
    const st = a.transport.peerStatus(2n)!
    assert.ok(maxQueued <= maxMessages, `queued ${maxQueued} > ${maxMessages}`)
    assert.ok(maxQueuedBytes <= maxBytes, `queued bytes ${maxQueuedBytes} > ${maxBytes}`)
    // what sits in the stream's buffer is at most about one batch beyond the window
    assert.ok(maxBuffered <= (256 << 10) + 2 * (msgBytes + 64) + (1 << 20), `buffered ${maxBuffered}`)
    assert.ok(st.droppedMessages > total / 2, `only ${st.droppedMessages} dropped`)
    assert.equal(st.sentMessages + st.droppedMessages + st.queuedMessages, total)
    await waitFor(() => a!.handler.unreachable.includes(2n), 1000, 'drops reported')
    // the raft layer hears about drops once per turn, not once per message
    assert.ok(a.handler.unreachable.length <= total / 50 + 1, `${a.handler.unreachable.length} reports`)
    // the connection itself stays up: a slow peer is not a dead one
    assert.ok(a.transport.activeSince(2n) !== undefined)

    // once the receiver reads again, everything not dropped arrives, in order
    rx.resume()
    await waitFor(() => a!.transport.peerStatus(2n)!.queuedMessages === 0, 5000, 'queue drained')
    const sent = a.transport.peerStatus(2n)!.sentMessages
    await waitFor(() => rx!.received.length === sent, 5000, `receiver got all ${sent} sent messages`)
    const idx = rx.received.map((m) => m.index)
    for (let i = 1; i < idx.length; i++) assert.ok(idx[i] > idx[i - 1], 'in order')
    for (const m of rx.received) assert.equal(m.entries[0].data[100], m.index & 0xff)

    // and new messages flow normally again
    const before = rx.received.length
    a.transport.send([app(total + 1, 10)])
    await waitFor(() => rx!.received.length === before + 1, 2000, 'fresh message')
  })

  it('messages queued while the stream is being set up are sent when it comes up', async () => {
    rx = new PausedReceiver()
    const url = await rx.listen()
    rx.resume = rx.resume.bind(rx)
    a = await startNode(1n)
    a.transport.addPeer(2n, [url])
    a.transport.send([app(1, 10), app(2, 10)]) // still connecting
    assert.equal(a.transport.peerStatus(2n)!.state, 'connecting')
    await waitFor(() => rx!.stream !== undefined, 2000, 'stream')
    rx.resume()
    await waitFor(() => rx!.received.length === 2, 2000, 'both delivered')
    assert.deepEqual(
      rx.received.map((m) => m.index),
      [1, 2],
    )
    await sleep(10)
    assert.deepEqual(a.handler.unreachable, [])
  })
})
