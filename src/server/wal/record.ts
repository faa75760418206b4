/** Record framing constants shared by the encoder and the decoder (layout in doc.ts). */

export const RecordType = {
  Batch: 1,
  Segment: 2,
  Metadata: 3,
  Entry: 4,
  HardState: 5,
  Snapshot: 6,
} as const
export type RecordType = (typeof RecordType)[keyof typeof RecordType]

export const HEADER_SIZE = 12
export const ALIGN = 8

/** Payload sizes of the fixed-size record types. */
export const BATCH_PAYLOAD = 16
export const SEGMENT_PAYLOAD = 16
export const HARD_STATE_PAYLOAD = 24
export const SNAPSHOT_PAYLOAD = 16
/** Entry payload before the data bytes: index, term, type. */
export const ENTRY_HEAD = 17

/** Bytes a record with an n-byte payload occupies, padding included. */
export function frameSize(payloadLength: number): number {
  return Math.ceil((HEADER_SIZE + payloadLength) / ALIGN) * ALIGN
}

export const BATCH_FRAME = frameSize(BATCH_PAYLOAD)

/** Expected payload length for fixed-size types; undefined for variable ones. */
export function fixedPayload(type: number): number | undefined {
  switch (type) {
    case RecordType.Batch:
      return BATCH_PAYLOAD
    case RecordType.Segment:
      return SEGMENT_PAYLOAD
    case RecordType.HardState:
      return HARD_STATE_PAYLOAD
    case RecordType.Snapshot:
      return SNAPSHOT_PAYLOAD
    default:
      return undefined
  }
}

export function isRecordType(type: number): type is RecordType {
  return type >= RecordType.Batch && type <= RecordType.Snapshot
}

const TWO_32 = 4294967296

/** Writes a non-negative safe integer as u64 little-endian. */
export function putU64(buf: Buffer, off: number, n: number): void {
  buf.writeUInt32LE(n >>> 0, off)
  buf.writeUInt32LE(Math.floor(n / TWO_32), off + 4)
}

/** Reads a u64 little-endian; undefined if it does not fit a safe integer. */
export function getU64(buf: Buffer, off: number): number | undefined {
  const hi = buf.readUInt32LE(off + 4)
  if (hi > 0x1fffff) return undefined
  return hi * TWO_32 + buf.readUInt32LE(off)
}
