/**
 * etcdctl's `watch` argument rules (ctlv3/command/watch_command.go): the key and range_end
 * (or ETCDCTL_WATCH_KEY / ETCDCTL_WATCH_RANGE_END), a command to run after `--`, and the
 * lines of interactive mode (`watch [options] <key> ...`, parsed with pflag's rules).
 */
import { ExitCode, exitWithError, type EtcdctlExit } from '../output/exit-error.js'
import { quote, parseBool, parseInt64 } from '../go/strconv.js'
import { FROM_KEY_END, prefixEnd } from '../client/kv-ops.js'
import type { WatchOptions } from '../client/watch.js'

export const WatchArgErrors = {
  BadArgsNum: 'bad number of arguments',
  ConflictEnv: 'bad number of arguments (found conflicting environment key)',
  Separator: 'bad number of arguments (found separator --, but no commands)',
  PrefixAndRangeEnd: '`range_end` and `--prefix` are mutually exclusive',
} as const

export interface WatchFlags {
  prefix: boolean
  rev: number
  prevKv: boolean
  progressNotify: boolean
}

export interface WatchEnv {
  key: string
  rangeEnd: string
}

export interface ParsedWatchArgs {
  /** Key and optional range_end (more are ignored, as etcdctl does). */
  watchArgs: string[]
  /** The command after `--`, if any. */
  execArgs: string[]
}

const bad = (msg: string): EtcdctlExit => exitWithError(ExitCode.BadArgs, msg)

/**
 * The positional arguments of a command line as pflag sees them (flags may come anywhere
 * before `--`; everything after it is positional). `takesValue` tells which flags (by long
 * name or one-letter shorthand) read the next argument as their value.
 */
export function positionalArgs(args: readonly string[], takesValue: (flag: string) => boolean): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const s = args[i]
    if (s === '--') {
      out.push(...args.slice(i + 1))
      break
    }
    if (s.length < 2 || s[0] !== '-') {
      out.push(s)
      continue
    }
    if (s.includes('=')) continue
    const name = s[1] === '-' ? s.slice(2) : s.slice(-1)
    if (takesValue(name)) i++
  }
  return out
}

/** ETCDCTL_WATCH_RANGE_END without ETCDCTL_WATCH_KEY is refused before anything else. */
export function checkWatchEnv(env: WatchEnv): void {
  if (env.key === '' && env.rangeEnd !== '')
    throw bad(`ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END=${quote(env.rangeEnd)}`)
}

function indexOfSep(args: readonly string[]): number {
  return args.indexOf('--')
}

/** Prepends the key (and range end) from the environment. */
function withEnv(args: string[], env: WatchEnv): string[] {
  if (env.key === '') return args
  return [env.key, ...(env.rangeEnd !== '' ? [env.rangeEnd] : []), ...args]
}

/** Drops the exec command (which the flag parser left among the positional args). */
function stripExec(watchArgs: string[], firstExecArg: string): string[] {
  let end = watchArgs.length - 1
  while (end >= 0 && watchArgs[end] !== firstExecArg) end--
  return watchArgs.slice(0, Math.max(0, end))
}

/**
 * The command line form. `raw`: the arguments after `watch` as typed (with `--`);
 * `positional`: what the flag parser left (the exec command included, `--` dropped).
 */
export function parseWatchCommandLine(
  raw: readonly string[],
  positional: readonly string[],
  env: WatchEnv,
): ParsedWatchArgs {
  const sep = indexOfSep(raw)
  if (sep >= 0 && sep === raw.length - 1) throw bad(WatchArgErrors.Separator)
  if (sep < 0 && raw.length < 1 && env.key === '') throw bad(WatchArgErrors.BadArgsNum)
  if (sep >= 0 && env.key !== '') {
    // `ETCDCTL_WATCH_KEY=foo watch foo -- echo 1`: a key given twice.
    let ridx = raw.length - 1
    for (let widx = positional.length - 1; widx >= 0; widx--) {
      if (ridx >= 0 && positional[widx] === raw[ridx]) {
        ridx--
        continue
      }
      if (ridx === sep) throw bad(WatchArgErrors.ConflictEnv)
    }
  }
  if (sep < 0 && positional.length > 0 && env.key !== '') throw bad(WatchArgErrors.ConflictEnv)
  let watchArgs = withEnv([...positional], env)
  if (sep < 0) return { watchArgs, execArgs: [] }
  const execArgs = raw.slice(sep + 1)
  watchArgs = stripExec(watchArgs, execArgs[0])
  return { watchArgs, execArgs }
}

/** pflag over the watch command's flags, for an interactive line. */
function parseLineFlags(args: readonly string[]): { flags: WatchFlags; positional: string[] } {
  const flags: WatchFlags = { prefix: false, rev: 0, prevKv: false, progressNotify: false }
  const positional: string[] = []
  const setBool = (name: string, value: string): void => {
    const v = parseBool(value)
    if (v === undefined)
      throw bad(
        `invalid argument ${quote(value)} for "--${name}" flag: strconv.ParseBool: parsing ${quote(value)}: invalid syntax`,
      )
    if (name === 'prefix') flags.prefix = v
    else if (name === 'prev-kv') flags.prevKv = v
    else if (name === 'progress-notify') flags.progressNotify = v
  }
  for (let i = 0; i < args.length; i++) {
    const s = args[i]
    if (s === '--') {
      positional.push(...args.slice(i + 1))
      break
    }
    if (s.length < 2 || s[0] !== '-') {
      positional.push(s)
      continue
    }
    if (s[1] === '-') {
      const body = s.slice(2)
      if (body[0] === '-' || body[0] === '=') throw bad(`bad flag syntax: ${s}`)
      const eq = body.indexOf('=')
      const name = eq < 0 ? body : body.slice(0, eq)
      if (name === 'rev') {
        let value: string
        if (eq >= 0) value = body.slice(eq + 1)
        else if (i + 1 < args.length) value = args[++i]
        else throw bad(`flag needs an argument: ${s}`)
        const n = parseInt64(value, 0)
        if (n.err !== undefined) throw bad(`invalid argument ${quote(value)} for "--rev" flag: ${n.err}`)
        flags.rev = Number(n.value)
      } else if (['prefix', 'prev-kv', 'progress-notify', 'interactive'].includes(name)) {
        setBool(name, eq >= 0 ? body.slice(eq + 1) : 'true')
      } else {
        throw bad(`unknown flag: --${name}`)
      }
      continue
    }
    // Shorthands: only -i (interactive).
    const shorts = s.slice(1)
    for (let j = 0; j < shorts.length; j++) {
      if (shorts[j] !== 'i') throw bad(`unknown shorthand flag: '${shorts[j]}' in -${shorts}`)
      if (shorts[j + 1] === '=') {
        setBool('interactive', shorts.slice(j + 2))
        break
      }
    }
  }
  return { flags, positional }
}

/**
 * One interactive `watch ...` line (its words after argify, "watch" first): the flags of
 * the line alone apply to it.
 */
export function parseWatchLine(words: readonly string[], env: WatchEnv): ParsedWatchArgs & { flags: WatchFlags } {
  const args = words.slice(1)
  const sep = indexOfSep(args)
  if (sep >= 0 && sep === args.length - 1) throw bad(WatchArgErrors.Separator)
  const { flags, positional } = parseLineFlags(args)
  if (sep < 0 && env.key === '' && positional.length < 1) throw bad(WatchArgErrors.BadArgsNum)
  if (sep < 0 && positional.length > 0 && env.key !== '') throw bad(WatchArgErrors.ConflictEnv)
  let watchArgs = withEnv(positional, env)
  if (sep < 0) return { watchArgs, execArgs: [], flags }
  const execArgs = args.slice(sep + 1)
  watchArgs = stripExec(watchArgs, execArgs[0])
  return { watchArgs, execArgs, flags }
}

/**
 * The watch request for the arguments (etcdctl's getWatchChan with clientv3's options);
 * an error message (etcdctl exits or reports it) when they do not make one.
 */
export function watchOptions(args: readonly Buffer[], flags: WatchFlags): WatchOptions | { error: string } {
  if (args.length < 1) return { error: WatchArgErrors.BadArgsNum }
  let key = args[0]
  let rangeEnd: Buffer | undefined
  if (args.length === 2) {
    if (flags.prefix) return { error: WatchArgErrors.PrefixAndRangeEnd }
    rangeEnd = args[1]
  }
  if (flags.prefix) {
    if (key.length === 0) {
      key = Buffer.from([0])
      rangeEnd = FROM_KEY_END
    } else rangeEnd = prefixEnd(key)
  }
  return { key, rangeEnd, startRevision: flags.rev, prevKv: flags.prevKv, progressNotify: flags.progressNotify }
}
