/**
 * etcdctl (cobra) accepts its global flags before the command name:
 *   etcdctl --endpoints=127.0.0.1:2379 -w json get foo
 * oclif wants the command id first, so the flags that stand before it are moved
 * behind the command's own arguments (ahead of a `--`, which ends flag parsing).
 */

/** Global flags that take a value when written as `--flag value`. */
export const GLOBAL_VALUE_FLAGS = new Set([
  '--endpoints', '--dial-timeout', '--command-timeout', '--keepalive-time', '--keepalive-timeout',
  '-w', '--write-out', '--cacert', '--cert', '--key', '--user', '--password',
  '--discovery-srv', '--discovery-srv-name',
  // etcdctl 3.3's names of --cacert, --cert and --key
  '--ca-file', '--cert-file', '--key-file',
])

export function hoistGlobalFlags(argv: string[]): string[] {
  const hoisted: string[] = []
  let i = 0
  while (i < argv.length && argv[i].startsWith('-') && argv[i] !== '--' && argv[i] !== '-') {
    const arg = argv[i]
    hoisted.push(arg)
    i++
    if (GLOBAL_VALUE_FLAGS.has(arg) && i < argv.length) {
      hoisted.push(argv[i])
      i++
    }
  }
  if (hoisted.length === 0 || i >= argv.length) return argv
  const rest = argv.slice(i)
  const dashdash = rest.indexOf('--')
  if (dashdash < 0) return [...rest, ...hoisted]
  return [...rest.slice(0, dashdash), ...hoisted, ...rest.slice(dashdash)]
}
