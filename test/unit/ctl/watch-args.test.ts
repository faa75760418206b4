import assert from 'node:assert/strict'
import { EtcdctlExit } from '../../../src/output/exit-error.js'
import {
  checkWatchEnv,
  parseWatchCommandLine,
  parseWatchLine,
  positionalArgs,
  watchOptions,
} from '../../../src/ctl/watch-args.js'
import { watchEventEnv, watchCommandError } from '../../../src/ctl/watch-exec.js'

const NO_ENV = { key: '', rangeEnd: '' }
const takesValue = (f: string): boolean => ['rev', 'endpoints', 'w', 'write-out'].includes(f)

/** The error etcdctl would exit with: [exit code, stderr]. */
function failure(fn: () => unknown): [number, string] {
  try {
    fn()
  } catch (e) {
    if (e instanceof EtcdctlExit) return [e.exitCode, e.stderr]
    throw e
  }
  throw new Error('no error')
}

describe('watch arguments (etcdctl rules)', () => {
  it('takes positional arguments as pflag does: flags anywhere before --, everything after it', () => {
    assert.deepEqual(
      positionalArgs(['foo', '--rev', '1', 'bar', '--prefix', '-w', 'json', '--', 'echo', '--rev', '2'], takesValue),
      ['foo', 'bar', 'echo', '--rev', '2'],
    )
    assert.deepEqual(positionalArgs(['--rev=3', 'k', '-'], takesValue), ['k', '-'])
  })

  it('splits the key, range end and exec command of a command line', () => {
    const p = (raw: string[], env = NO_ENV) => parseWatchCommandLine(raw, positionalArgs(raw, takesValue), env)
    assert.deepEqual(p(['foo']), { watchArgs: ['foo'], execArgs: [] })
    assert.deepEqual(p(['foo', 'zoo', '--rev', '2', '--', 'echo', 'hi']), {
      watchArgs: ['foo', 'zoo'],
      execArgs: ['echo', 'hi'],
    })
    assert.deepEqual(p(['--rev', '1', '--', 'echo', '1'], { key: 'k', rangeEnd: 'm' }), {
      watchArgs: ['k', 'm'],
      execArgs: ['echo', '1'],
    })
    assert.deepEqual(p(['--prefix'], { key: 'k', rangeEnd: '' }), { watchArgs: ['k'], execArgs: [] })
    assert.deepEqual(
      failure(() => p([])),
      [128, 'Error: bad number of arguments\n'],
    )
    assert.deepEqual(
      failure(() => p(['foo', '--'])),
      [128, 'Error: bad number of arguments (found separator --, but no commands)\n'],
    )
    assert.deepEqual(
      failure(() => p(['foo'], { key: 'k', rangeEnd: '' })),
      [128, 'Error: bad number of arguments (found conflicting environment key)\n'],
    )
    assert.deepEqual(
      failure(() => p(['foo', '--', 'echo', '1'], { key: 'k', rangeEnd: '' })),
      [128, 'Error: bad number of arguments (found conflicting environment key)\n'],
    )
    assert.deepEqual(
      failure(() => checkWatchEnv({ key: '', rangeEnd: 'x\u00ff' })),
      [128, 'Error: ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END="x\u00ff"\n'],
    )
  })

  it('parses interactive lines with the flags of the line only', () => {
    assert.deepEqual(parseWatchLine(['watch', 'foo', '--prefix', '--rev', '0x10', '--prev-kv'], NO_ENV), {
      watchArgs: ['foo'],
      execArgs: [],
      flags: { prefix: true, rev: 16, prevKv: true, progressNotify: false },
    })
    assert.deepEqual(parseWatchLine(['watch', 'a', 'b', '--', 'echo', 'x'], NO_ENV).watchArgs, ['a', 'b'])
    assert.deepEqual(parseWatchLine(['watch', 'a', 'b', '--', 'echo', 'x'], NO_ENV).execArgs, ['echo', 'x'])
    assert.deepEqual(
      failure(() => parseWatchLine(['watch', '--bogus', 'a'], NO_ENV)),
      [128, 'Error: unknown flag: --bogus\n'],
    )
    assert.deepEqual(
      failure(() => parseWatchLine(['watch', 'a', '--rev', 'x'], NO_ENV)),
      [128, 'Error: invalid argument "x" for "--rev" flag: strconv.ParseInt: parsing "x": invalid syntax\n'],
    )
    assert.deepEqual(
      failure(() => parseWatchLine(['watch', 'a', '--rev'], NO_ENV)),
      [128, 'Error: flag needs an argument: --rev\n'],
    )
    assert.deepEqual(
      failure(() => parseWatchLine(['watch', '-x'], NO_ENV)),
      [128, "Error: unknown shorthand flag: 'x' in -x\n"],
    )
    assert.deepEqual(
      failure(() => parseWatchLine(['watch', '--prefix'], NO_ENV)),
      [128, 'Error: bad number of arguments\n'],
    )
  })

  it('builds the watch request as clientv3 does (prefix, from-key, revision)', () => {
    const flags = { prefix: false, rev: 0, prevKv: false, progressNotify: false }
    assert.deepEqual(watchOptions([Buffer.from('a'), Buffer.from('c')], flags), {
      key: Buffer.from('a'),
      rangeEnd: Buffer.from('c'),
      startRevision: 0,
      prevKv: false,
      progressNotify: false,
    })
    assert.deepEqual(watchOptions([Buffer.from('a\u00ff', 'latin1')], { ...flags, prefix: true, rev: 7 }), {
      key: Buffer.from('a\u00ff', 'latin1'),
      rangeEnd: Buffer.from('b'),
      startRevision: 7,
      prevKv: false,
      progressNotify: false,
    })
    assert.deepEqual(
      (watchOptions([Buffer.alloc(0)], { ...flags, prefix: true }) as { key: Buffer; rangeEnd: Buffer }).rangeEnd,
      Buffer.from([0]),
    )
    assert.deepEqual(watchOptions([Buffer.from('a'), Buffer.from('c')], { ...flags, prefix: true }), {
      error: '`range_end` and `--prefix` are mutually exclusive',
    })
    assert.deepEqual(watchOptions([], flags), { error: 'bad number of arguments' })
  })

  it('gives the exec command the event in Go %q form, and reports its failure as etcdctl', () => {
    const env = watchEventEnv(12, {
      type: 1,
      kv: {
        key: Buffer.from('k "1"\n'),
        value: Buffer.from([0xff]),
        create_revision: 0,
        mod_revision: 12,
        version: 0,
        lease: 0n,
      },
    })
    assert.deepEqual(env, {
      ETCD_WATCH_REVISION: '12',
      ETCD_WATCH_EVENT_TYPE: '"DELETE"',
      ETCD_WATCH_KEY: '"k \\"1\\"\\n"',
      ETCD_WATCH_VALUE: '"\\xff"',
    })
    assert.equal(
      watchCommandError(['sh', '-c', 'exit 3'], 'exit status 3'),
      'command ["sh" "-c" "exit 3"] error (exit status 3)\n',
    )
  })
})
