/** FNV-1a, 64-bit (Go's hash/fnv New64a), as bbolt checksums its meta pages. */
const OFFSET = 0xcbf29ce484222325n
const PRIME = 0x100000001b3n
const MASK = 0xffffffffffffffffn

export function fnv64a(data: Uint8Array): bigint {
  let h = OFFSET
  for (const b of data) {
    h ^= BigInt(b)
    h = (h * PRIME) & MASK
  }
  return h
}
