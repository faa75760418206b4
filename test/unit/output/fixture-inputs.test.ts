// The fixture generators (scripts/fixtures) read their cases from the input files next to them;
// the checked-in fixtures must be what those inputs produce, so each fixture case has to be its
// input case plus the recorded results, in the same order.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PRINTER_CASES } from './fixtures/printer-cases.js'
import { TXN_CASES } from './fixtures/etcdctl-txn-cases.js'

// dist/test/unit/output -> repository root
const inputs = (name: string): unknown =>
  JSON.parse(fs.readFileSync(fileURLToPath(new URL(`../../../../scripts/fixtures/${name}`, import.meta.url)), 'utf8'))

describe("output: fixtures agree with the generators' inputs", () => {
  it('printer-cases.ts is printer-inputs.json plus results', () => {
    const cases = inputs('printer-inputs.json') as Array<Record<string, unknown> & { formats?: string[] }>
    assert.deepEqual(
      PRINTER_CASES.map(({ results: _results, ...input }) => input),
      cases.map(({ formats: _formats, ...input }) => input),
    )
  })

  it('printer-cases.ts has a result for each format its input asks for', () => {
    const cases = inputs('printer-inputs.json') as Array<{ method: string; formats?: string[] }>
    // printer/main.go's default: every format, and simple --hex where keys and values are printed.
    const hex = new Set(['Get', 'Put', 'Del', 'Txn', 'Watch'])
    const all = (method: string): string[] => [
      'simple',
      ...(hex.has(method) ? ['simple --hex'] : []),
      'json',
      'fields',
      'table',
      'protobuf',
    ]
    PRINTER_CASES.forEach((c, i) => {
      const want = cases[i].formats ?? all(cases[i].method)
      assert.deepEqual(
        c.results.map((r) => r.format + (r.hex ? ' --hex' : '')),
        want,
        c.name,
      )
    })
  })

  it('etcdctl-txn-cases.ts is txn-inputs.json plus what etcdctl did', () => {
    assert.deepEqual(
      TXN_CASES.map(({ input, interactive }) => ({ input, interactive })),
      inputs('txn-inputs.json'),
    )
  })
})
