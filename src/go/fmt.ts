// The few fmt verbs etcdctl's printers use on integers.

/** %x, %016x (zero: true) or %16x (zero: false) of an integer, Go style. */
export function hex(v: bigint | number, width = 0, zero = false): string {
  const n = BigInt(v)
  const neg = n < 0n
  let digits = (neg ? -n : n).toString(16)
  if (zero && width > 0) digits = digits.padStart(neg ? width - 1 : width, '0')
  const s = (neg ? '-' : '') + digits
  return s.padStart(width, ' ')
}
