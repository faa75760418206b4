import assert from 'node:assert/strict'
import { formatDuration } from '../../../src/go/duration.js'
import { newPrinter } from '../../../src/output/printer.js'
import { EtcdctlExit } from '../../../src/output/exit-error.js'

// [nanoseconds, time.Duration(n).String()] as printed by Go (etcdctl reports `took` this way).
const DURATIONS: Array<[string, string]> = [
  ['0', '0s'],
  ['1', '1ns'],
  ['999', '999ns'],
  ['1000', '1µs'],
  ['1001', '1.001µs'],
  ['1500', '1.5µs'],
  ['999999', '999.999µs'],
  ['1000000', '1ms'],
  ['1692518', '1.692518ms'],
  ['999999999', '999.999999ms'],
  ['1000000000', '1s'],
  ['1000000001', '1.000000001s'],
  ['1500000000', '1.5s'],
  ['59999999999', '59.999999999s'],
  ['60000000000', '1m0s'],
  ['61500000000', '1m1.5s'],
  ['3599000000000', '59m59s'],
  ['3600000000000', '1h0m0s'],
  ['3661000000001', '1h1m1.000000001s'],
  ['-1', '-1ns'],
  ['-1500000', '-1.5ms'],
  ['9223372036854775807', '2562047h47m16.854775807s'],
  ['-9223372036854775808', '-2562047h47m16.854775808s'],
]

describe('output: Go formatting helpers', () => {
  it('formats durations like time.Duration.String', () => {
    for (const [ns, want] of DURATIONS) assert.equal(formatDuration(BigInt(ns)), want, ns)
  })

  it('rejects an unknown -w value like etcdctl (exit 4, "Error: unsupported output format")', () => {
    assert.throws(
      () => newPrinter('yaml'),
      (e: unknown) => e instanceof EtcdctlExit && e.exitCode === 4 && e.stderr === 'Error: unsupported output format\n',
    )
  })
})
