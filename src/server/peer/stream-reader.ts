/**
 * The incoming half of a message stream: decodes the length-delimited raftpb messages of one
 * peer's stream (an upgraded connection, or an HTTP/2 request body) and hands them to the raft
 * layer as they complete, in order. Data is consumed as fast as it arrives (stepping a message
 * is synchronous), so the sender is held back only by the network. Malformed data closes the
 * stream (`abort`); the sender reconnects.
 */
import type { Readable } from 'node:stream'
import type { Message, NodeId } from '../../raft/types.js'
import { UnrepresentableMessageError, decodeMessage } from './codec.js'
import { FrameDecoder } from './frame-decoder.js'
import { idHex } from './handshake.js'
import type { TransportLogger } from './types.js'

export function readMessageStream(
  source: Readable,
  abort: () => void,
  from: NodeId,
  maxMessageBytes: number,
  onMessage: (m: Message) => void,
  log: TransportLogger,
  head?: Buffer,
): void {
  const decoder = new FrameDecoder(maxMessageBytes)
  const deliver = (frame: Buffer): void => {
    let m: Message
    try {
      m = decodeMessage(frame)
    } catch (err) {
      if (!(err instanceof UnrepresentableMessageError)) throw err
      // Well-formed but out of range: drop this one message, keep the stream.
      log.warn('dropped peer message with out-of-range numbers', { peer: idHex(from), error: err.message })
      return
    }
    try {
      onMessage(m)
    } catch (err) {
      log.warn('raft handler failed on a peer message', {
        peer: idHex(from),
        type: m.type,
        error: (err as Error).message,
      })
    }
  }
  let failed = false
  const take = (chunk: Buffer): void => {
    if (failed) return
    try {
      decoder.push(chunk, deliver)
    } catch (err) {
      failed = true
      log.warn('malformed data on peer stream, closing it', { peer: idHex(from), error: (err as Error).message })
      abort()
    }
  }
  if (head !== undefined && head.length > 0) take(head)
  source.on('data', take)
}
