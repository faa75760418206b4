/**
 * Sends one MsgSnap on its own HTTP/2 request, next to the message stream on the same session:
 * the message first, then the data as it comes out of `body`, chunk by chunk. Each write waits
 * for the stream to drain, so only about one flow-control window of the data is in memory at a
 * time. Resolves once the receiver has taken the whole snapshot (HTTP 200); throws otherwise.
 *
 * Chunks yielded by `body` are written as they are and must not be reused afterwards.
 */
import { createHash } from 'node:crypto'
import type http2 from 'node:http2'
import type { Message, NodeId } from '../../raft/types.js'
import { encodeMessage, withoutSnapshotData } from './codec.js'
import { HEADER_REJECT_REASON, PATH_SNAPSHOT, handshakeHeaders } from './handshake.js'
import { FRAME_DATA, FRAME_META, MAX_DATA_FRAME_BYTES, endFrame, frameHeader } from './snapshot-frames.js'

export interface SnapshotSendResult {
  bytes: number
}

interface Answer {
  status: number
  reason: string
}

export async function sendSnapshotStream(
  session: http2.ClientHttp2Session,
  ids: { from: NodeId; to: NodeId; clusterId: NodeId },
  msg: Message,
  body: AsyncIterable<Uint8Array>,
  idleTimeoutMs: number,
): Promise<SnapshotSendResult> {
  const req = session.request(handshakeHeaders(PATH_SNAPSHOT, ids.from, ids.to, ids.clusterId), { endStream: false })
  let closed = false
  let streamError: Error | undefined
  let status: number | undefined
  let reasonHeader: string | undefined
  const answerBody: Buffer[] = []
  req.on('error', (err) => {
    streamError ??= err
  })
  req.setTimeout(idleTimeoutMs, () => {
    streamError ??= new Error(`snapshot stream idle for ${idleTimeoutMs} ms`)
    req.close()
  })
  req.once('response', (headers) => {
    status = Number(headers[':status'])
    const h = headers[HEADER_REJECT_REASON]
    if (typeof h === 'string') reasonHeader = h
    req.on('data', (c: Buffer) => answerBody.push(c))
  })
  // The peer's answer, once the exchange is over (it may refuse early and reset the stream).
  const answer = new Promise<Answer>((resolve, reject) => {
    req.once('close', () => {
      closed = true
      if (status === undefined) reject(streamError ?? new Error('snapshot stream closed before the peer answered'))
      else resolve({ status, reason: reasonHeader ?? Buffer.concat(answerBody).toString('utf8').trim() })
    })
  })
  answer.catch(() => {})

  /** The reason the exchange ended before the snapshot was written. */
  const early = async (): Promise<Error> => {
    try {
      const a = await answer
      return new Error(a.status === 200 ? 'peer answered before the snapshot was complete' : `rejected: ${a.reason}`)
    } catch (err) {
      return err as Error
    }
  }
  const write = async (buf: Uint8Array): Promise<void> => {
    if (closed || status !== undefined) throw await early()
    if (!req.write(buf)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          req.off('drain', done)
          req.off('close', done)
          req.off('response', done)
          resolve()
        }
        req.on('drain', done)
        req.on('close', done)
        req.on('response', done)
      })
      if (closed || status !== undefined) throw await early()
    }
  }

  let size = 0
  try {
    const meta = encodeMessage(withoutSnapshotData(msg))
    await write(Buffer.concat([frameHeader(FRAME_META, meta.length), meta]))
    const hash = createHash('sha256')
    for await (const chunk of body) {
      for (let off = 0; off < chunk.byteLength; off += MAX_DATA_FRAME_BYTES) {
        const piece = chunk.subarray(off, Math.min(chunk.byteLength, off + MAX_DATA_FRAME_BYTES))
        hash.update(piece)
        size += piece.byteLength
        req.write(frameHeader(FRAME_DATA, piece.byteLength))
        await write(piece)
      }
    }
    await write(endFrame(size, hash.digest()))
    req.end()
  } catch (err) {
    if (!req.destroyed) req.close()
    throw err
  }
  // the answer comes when the peer has taken the whole snapshot
  const a = await answer
  if (a.status !== 200) throw new Error(`rejected: ${a.reason}`)
  return { bytes: size }
}
