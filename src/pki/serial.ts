import { randomBytes } from 'node:crypto'

/** A random positive 159-bit serial number as hex (20 bytes, top bit clear), like cfssl's. */
export function randomSerialHex(): string {
  const bytes = randomBytes(20)
  bytes[0] &= 0x7f
  if (bytes[0] === 0) bytes[0] = 0x01
  return bytes.toString('hex')
}
