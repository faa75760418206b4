import assert from 'node:assert/strict'
import { editDistance, resolveCommandPath, suggestionsFor, unknownCommandError } from '../../../src/cli/command-path.js'

const COMMANDS = [
  'compaction',
  'del',
  'get',
  'put',
  'txn',
  'watch',
  'version',
  'serve',
  'cluster-health',
  'member:list',
  'endpoint:health',
  'endpoint:status',
  'lease:grant',
  'lease:revoke',
  'lease:list',
  'lease:keep-alive',
  'lease:timetolive',
  'cert:ca',
  'cert:server',
].map((id) => ({ id }))

const resolve = (...argv: string[]) => resolveCommandPath(argv, COMMANDS)

describe('command path (cobra prefix matching)', () => {
  it('resolves unambiguous prefixes at every level', () => {
    assert.deepEqual(resolve('compact', '5'), { argv: ['compaction', '5'] })
    assert.deepEqual(resolve('mem', 'li'), { argv: ['member', 'list'] })
    assert.deepEqual(resolve('end', 'st', '-w', 'table'), { argv: ['endpoint', 'status', '-w', 'table'] })
    assert.deepEqual(resolve('lea', 'ke', '123'), { argv: ['lease', 'keep-alive', '123'] })
    assert.deepEqual(resolve('cluster-h'), { argv: ['cluster-health'] })
  })

  it('keeps full names, arguments after the command and `--` as they are', () => {
    assert.deepEqual(resolve('put', 'mem', 'li'), { argv: ['put', 'mem', 'li'] })
    assert.deepEqual(resolve('watch', 'k', '--', 'echo', 'x'), { argv: ['watch', 'k', '--', 'echo', 'x'] })
    assert.deepEqual(resolve('serve', '--name', 'x'), { argv: ['serve', '--name', 'x'] })
    assert.deepEqual(resolve('cert', 'ca', '--cn', 'x'), { argv: ['cert', 'ca', '--cn', 'x'] })
    assert.deepEqual(resolve('--help'), { argv: ['--help'] })
    assert.deepEqual(resolve(), { argv: [] })
  })

  it('skips flags between command words', () => {
    assert.deepEqual(resolve('mem', '--endpoints', 'h:1', 'li'), { argv: ['member', 'list', '--endpoints', 'h:1'] })
    assert.deepEqual(resolve('mem', '--hex', 'li', 'x'), { argv: ['member', 'list', '--hex', 'x'] })
  })

  it("judges ambiguity against etcdctl's commands too (etcdctl m: member, move-leader, make-mirror, migrate)", () => {
    const r = resolve('m')
    assert.ok('error' in r)
    assert.equal(r.error, unknownCommandError('m', ['member']))
    assert.ok('error' in resolve('mo'), "move-leader is etcdctl's, not ours")
    // endpoint h: hashkv or health: the group's help, as etcdctl
    assert.deepEqual(resolve('end', 'h'), { argv: ['endpoint'] })
  })

  it("prints cobra's unknown command error, with suggestions in etcdctl's order", () => {
    const r = resolve('foo')
    assert.deepEqual(r, {
      error:
        'Error: unknown command "foo" for "etcdctl"\nRun \'etcdctl --help\' for usage.\nError: unknown command "foo" for "etcdctl"\n',
    })
    const e = resolve('e')
    assert.ok('error' in e)
    assert.match(
      e.error,
      /^Error: unknown command "e" for "etcdctl"\n\nDid you mean this\?\n\tget\n\tdel\n\tendpoint\n\nRun 'etcdctl --help' for usage.\n/,
    )
    assert.ok('error' in resolve('COMPACT', '5'), 'names are matched case-sensitively')
    assert.deepEqual(suggestionsFor('COMPACT', ['get', 'compaction']), ['compaction'])
  })

  it('an unknown word below the top level shows the group (etcdctl prints its help, exit 0)', () => {
    assert.deepEqual(resolve('member', 'foo', '--endpoints=x'), { argv: ['member'] })
  })

  it('never suggests hidden commands', () => {
    const r = resolveCommandPath(['secrt'], [{ id: 'secret', hidden: true }, { id: 'get' }])
    assert.ok('error' in r)
    assert.equal(r.error.includes('secret'), false)
  })

  it("edit distance is cobra's ld", () => {
    assert.equal(editDistance('e', 'get'), 2)
    assert.equal(editDistance('kitten', 'sitting'), 3)
    assert.equal(editDistance('ABC', 'abc'), 0)
  })
})
