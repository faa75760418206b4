import assert from 'node:assert/strict'
import { colourEnabled, colourError, green, paintWords, red } from '../../../src/output/colour.js'
import { newPrinter } from '../../../src/output/printer.js'

describe('colour: for a terminal only', () => {
  it('is on for a terminal without NO_COLOR, and never for json, fields or protobuf', () => {
    assert.equal(colourEnabled({ isTTY: true, env: {} }), true)
    assert.equal(colourEnabled({ isTTY: true, env: {}, format: 'table' }), true)
    assert.equal(colourEnabled({ isTTY: true, env: {}, format: 'simple' }), true)
    assert.equal(colourEnabled({ isTTY: false, env: {} }), false)
    assert.equal(colourEnabled({ isTTY: undefined, env: {} }), false)
    assert.equal(colourEnabled({ isTTY: true, env: { NO_COLOR: '1' } }), false)
    assert.equal(
      colourEnabled({ isTTY: true, env: { NO_COLOR: '' } }),
      true,
      'no-color.org: an empty NO_COLOR is unset',
    )
    assert.equal(colourEnabled({ isTTY: true, env: { TERM: 'dumb' } }), false)
    for (const format of ['json', 'fields', 'protobuf'])
      assert.equal(colourEnabled({ isTTY: true, env: {}, format }), false, format)
  })

  it('colours the words of a cell, not its padding, and Error: lines', () => {
    assert.equal(paintWords('   true ', green), `   ${green('true')} `)
    assert.equal(paintWords('    ', green), '    ')
    assert.equal(colourError('Error: x\nRun it\nError: x\n', true), `${red('Error: x')}\nRun it\n${red('Error: x')}\n`)
    assert.equal(colourError('Error: x\n', false), 'Error: x\n')
  })

  const status = {
    endpoint: '127.0.0.1:2379',
    status: {
      header: { cluster_id: 1n, member_id: 10n, revision: 1n, raft_term: 2n },
      version: '3.4.23',
      dbSize: 20480n,
      leader: 10n,
      raftIndex: 8n,
      raftTerm: 2n,
      raftAppliedIndex: 8n,
      errors: [],
      dbSizeInUse: 20480n,
      isLearner: false,
    },
  } as never

  it('the table printer colours leader and health cells, and lays out as without colour', () => {
    const plain = newPrinter('table').endpointStatus([status]).stdout.toString()
    const coloured = newPrinter('table', { colour: true }).endpointStatus([status]).stdout.toString()
    assert.notEqual(coloured, plain)
    assert.equal(coloured.replace(new RegExp(String.fromCharCode(27) + '\\[[0-9;]*m', 'g'), ''), plain)
    assert.ok(coloured.includes(green('true')))
    const health = newPrinter('table', { colour: true })
      .endpointHealth([{ endpoint: 'a', health: false, took: '', error: 'boom' }])
      .stdout.toString()
    assert.ok(health.includes(red('false')) && health.includes(red('boom')))
  })

  it("no colour unless asked: the bytes are etcdctl's", () => {
    assert.equal(newPrinter('table').endpointStatus([status]).stdout.includes(0x1b), false)
  })
})
