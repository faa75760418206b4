/**
 * The body of a snapshot request: typed frames, each a kind byte, a 4-byte big-endian payload
 * length and the payload.
 *   META (once, first): the MsgSnap as a raftpb.Message, snapshot data left empty
 *   DATA (any number):  the next bytes of the snapshot data (at most 1 MiB per frame)
 *   END  (once, last):  total data length (8 bytes, big-endian) and its SHA-256 (32 bytes)
 */
export const FRAME_META = 1
export const FRAME_DATA = 2
export const FRAME_END = 3
export const FRAME_HEADER_BYTES = 5
export const MAX_DATA_FRAME_BYTES = 1 << 20
export const END_PAYLOAD_BYTES = 40

export function frameHeader(kind: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES)
  b[0] = kind
  b.writeUInt32BE(length, 1)
  return b
}

export function endFrame(size: number, sha256: Buffer): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + END_PAYLOAD_BYTES)
  b[0] = FRAME_END
  b.writeUInt32BE(END_PAYLOAD_BYTES, 1)
  b.writeBigUInt64BE(BigInt(size), FRAME_HEADER_BYTES)
  sha256.copy(b, FRAME_HEADER_BYTES + 8)
  return b
}
