/**
 * etcdctl (cobra) accepts its global flags before the command name:
 *   etcdctl --endpoints=127.0.0.1:2379 -w json get foo
 * oclif wants the command id first, so the flags that stand before it are moved
 * behind the command's own arguments (ahead of a `--`, which ends flag parsing).
 */

/** Global flags that take a value when written as `--flag value`. */
export const GLOBAL_VALUE_FLAGS = new Set([
  '--endpoints',
  '--dial-timeout',
  '--command-timeout',
  '--keepalive-time',
  '--keepalive-timeout',
  '-w',
  '--write-out',
  '--cacert',
  '--cert',
  '--key',
  '--user',
  '--password',
  '--discovery-srv',
  '--discovery-srv-name',
  // etcdctl 3.3's names of --cacert, --cert and --key
  '--ca-file',
  '--cert-file',
  '--key-file',
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

interface FlagDef {
  type: string
  char?: string
  multiple?: boolean
  aliases?: string[]
}

/**
 * pflag lets a flag be given again, the last value winning (`--dial-timeout 2s … --dial-timeout 0`);
 * oclif refuses a repeated flag. Keeps only the last occurrence of each single-valued flag.
 */
export function lastFlagWins(argv: string[], flags: Record<string, FlagDef>): string[] {
  const names = new Map<string, string>()
  for (const [name, def] of Object.entries(flags)) {
    if (def.multiple) continue
    names.set(`--${name}`, name)
    if (def.char) names.set(`-${def.char}`, name)
    for (const a of def.aliases ?? []) names.set(`--${a}`, name)
  }
  const end = argv.indexOf('--') < 0 ? argv.length : argv.indexOf('--')
  const spans: Array<{ name?: string; items: string[] }> = []
  for (let i = 0; i < end; i++) {
    const arg = argv[i]
    const eq = arg.indexOf('=')
    const flag = arg.startsWith('-') ? (eq > 0 ? arg.slice(0, eq) : arg) : ''
    const name = names.get(flag)
    if (name && flags[name].type === 'option' && eq < 0 && i + 1 < end) spans.push({ name, items: [arg, argv[++i]] })
    else spans.push({ name, items: [arg] })
  }
  const last = new Map<string, number>()
  spans.forEach((s, i) => s.name && last.set(s.name, i))
  const kept = spans.filter((s, i) => !s.name || last.get(s.name) === i).flatMap((s) => s.items)
  return [...kept, ...argv.slice(end)]
}

/** The -w/--write-out format the command line asks for (last one wins), else ETCDCTL_WRITE_OUT. */
export function writeOutOf(argv: string[], env: Record<string, string | undefined>): string | undefined {
  let format = env.ETCDCTL_WRITE_OUT
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    const m = /^(?:-w|--write-out)(?:=(.*))?$/.exec(argv[i])
    if (m) format = m[1] ?? argv[++i]
  }
  return format
}
