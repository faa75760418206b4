// Key-range helpers of etcd's Go client (clientv3).

/** GetPrefixRangeEnd on bytes: the key with its last byte below 0xff incremented, or "\x00" (to the end) when there is none. */
export function prefixRangeEnd(key: Uint8Array): Buffer {
  const end = Buffer.from(key)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.from([0])
}
