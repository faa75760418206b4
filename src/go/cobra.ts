// How a cobra root command with subcommands routes an argument list and how
// pflag parses the chosen subcommand's flags (interspersed flags, "--",
// "--f=v", "--f v", bool flags without value, cobra's own -h/--help).
import { parseBool, parseInt64 } from './strconv.js'

export type FlagValue = boolean | string | bigint

export interface FlagSpec {
  name: string
  kind: 'bool' | 'string' | 'int64'
  def: FlagValue
}

export interface CommandSpec {
  name: string
  flags: FlagSpec[]
}

export type Dispatch =
  | { kind: 'run'; command: string; flags: Record<string, FlagValue>; args: string[] }
  /** cobra printed the subcommand's usage; the flag error itself is silenced. */
  | { kind: 'flag-error'; command: string; error: string }
  | { kind: 'unknown-command'; error: string }
  /** cobra's help (or completion) output instead of running anything. */
  | { kind: 'help'; command?: string }

/** cobra's stripFlags for a command without flags of its own. */
function stripFlags(args: string[]): string[] {
  const commands: string[] = []
  let rest = args.slice()
  while (rest.length > 0) {
    const s = rest[0]
    rest = rest.slice(1)
    if (s === '--') break
    const takesValue =
      (s.startsWith('--') && !s.includes('=')) || (s.startsWith('-') && !s.includes('=') && s.length === 2)
    if (takesValue) {
      if (rest.length <= 1) break
      rest = rest.slice(1)
      continue
    }
    if (s !== '' && !s.startsWith('-')) commands.push(s)
  }
  return commands
}

function setFlag(spec: FlagSpec, value: string, out: Record<string, FlagValue>): string | undefined {
  if (spec.kind === 'string') {
    out[spec.name] = value
    return undefined
  }
  if (spec.kind === 'bool') {
    const b = parseBool(value)
    if (b === undefined) return `invalid argument "${value}" for "--${spec.name}" flag`
    out[spec.name] = b
    return undefined
  }
  const n = parseInt64(value, 0)
  if (n.err !== undefined) return `invalid argument "${value}" for "--${spec.name}" flag: ${n.err}`
  out[spec.name] = n.value
  return undefined
}

type Parsed = { flags: Record<string, FlagValue>; args: string[]; help: boolean } | { error: string }

/** pflag's FlagSet.Parse over a command's flags plus cobra's help flag. */
export function parseFlags(argv: string[], specs: FlagSpec[]): Parsed {
  const help: FlagSpec = { name: 'help', kind: 'bool', def: false }
  const all = [...specs, help]
  const flags: Record<string, FlagValue> = {}
  for (const s of all) flags[s.name] = s.def
  const args: string[] = []
  let rest = argv.slice()
  while (rest.length > 0) {
    const s = rest[0]
    rest = rest.slice(1)
    if (s.length < 2 || s[0] !== '-') {
      args.push(s)
      continue
    }
    if (s === '--') {
      args.push(...rest)
      break
    }
    if (s[1] === '-') {
      const body = s.slice(2)
      if (body[0] === '-' || body[0] === '=') return { error: `bad flag syntax: ${s}` }
      const eq = body.indexOf('=')
      const name = eq < 0 ? body : body.slice(0, eq)
      const spec = all.find((f) => f.name === name)
      if (spec === undefined) return { error: `unknown flag: --${name}` }
      let value: string
      if (eq >= 0) value = body.slice(eq + 1)
      else if (spec.kind === 'bool') value = 'true'
      else if (rest.length > 0) {
        value = rest[0]
        rest = rest.slice(1)
      } else return { error: `flag needs an argument: ${s}` }
      const err = setFlag(spec, value, flags)
      if (err !== undefined) return { error: err }
      continue
    }
    // Shorthands: only cobra's -h exists.
    let shorts = s.slice(1)
    while (shorts.length > 0) {
      if (shorts[0] !== 'h') return { error: `unknown shorthand flag: '${shorts[0]}' in -${shorts}` }
      if (shorts.length > 2 && shorts[1] === '=') {
        const err = setFlag(help, shorts.slice(2), flags)
        if (err !== undefined) return { error: err }
        break
      }
      flags.help = true
      shorts = shorts.slice(1)
    }
  }
  return { flags, args, help: flags.help === true }
}

const COBRA_COMMANDS = ['help', 'completion', '__complete', '__completeNoDesc']

/** cobra's Command.Find + execute for a root whose only job is to hold `commands`. */
export function dispatch(argv: string[], commands: CommandSpec[]): Dispatch {
  const names = stripFlags(argv)
  if (names.length === 0) return { kind: 'help' }
  const name = names[0]
  const cmd = commands.find((c) => c.name === name)
  if (cmd === undefined) {
    if (COBRA_COMMANDS.includes(name)) return { kind: 'help', command: name }
    return { kind: 'unknown-command', error: `unknown command "${name}" for ""` }
  }
  const i = argv.indexOf(name)
  const rest = [...argv.slice(0, i), ...argv.slice(i + 1)]
  const p = parseFlags(rest, cmd.flags)
  if ('error' in p) return { kind: 'flag-error', command: cmd.name, error: p.error }
  if (p.help) return { kind: 'help', command: cmd.name }
  return { kind: 'run', command: cmd.name, flags: p.flags, args: p.args }
}
