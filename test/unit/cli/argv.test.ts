import assert from 'node:assert/strict'
import { hoistGlobalFlags, lastFlagWins } from '../../../src/cli/argv.js'

const FLAGS = {
  'dial-timeout': { type: 'option' },
  'write-out': { type: 'option', char: 'w' },
  cacert: { type: 'option', aliases: ['ca-file'] },
  hex: { type: 'boolean' },
  label: { type: 'option', multiple: true },
}

describe("argv: etcdctl (pflag) forms brought to oclif's", () => {
  it('a repeated flag: the last value wins, in any form', () => {
    assert.deepEqual(lastFlagWins(['get', '--dial-timeout', '2s', 'k', '--dial-timeout=0'], FLAGS), [
      'get',
      'k',
      '--dial-timeout=0',
    ])
    assert.deepEqual(lastFlagWins(['-w', 'json', 'get', '--write-out', 'table'], FLAGS), [
      'get',
      '--write-out',
      'table',
    ])
    assert.deepEqual(lastFlagWins(['--ca-file', 'a', '--cacert=b'], FLAGS), ['--cacert=b'])
    assert.deepEqual(lastFlagWins(['--hex', '--hex'], FLAGS), ['--hex'])
  })

  it('leaves multi-valued flags, unknown flags and everything after -- alone', () => {
    assert.deepEqual(lastFlagWins(['--label', 'a', '--label', 'b'], FLAGS), ['--label', 'a', '--label', 'b'])
    assert.deepEqual(lastFlagWins(['--x', '1', '--x', '2'], FLAGS), ['--x', '1', '--x', '2'])
    assert.deepEqual(lastFlagWins(['watch', '-w', 'json', '--', 'sh', '-w', 'x'], FLAGS), [
      'watch',
      '-w',
      'json',
      '--',
      'sh',
      '-w',
      'x',
    ])
  })

  it('hoists global flags given before the command, old TLS names included', () => {
    assert.deepEqual(hoistGlobalFlags(['--ca-file', 'ca.pem', '--endpoints=x', 'member', 'list']), [
      'member',
      'list',
      '--ca-file',
      'ca.pem',
      '--endpoints=x',
    ])
  })
})
