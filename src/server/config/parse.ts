/**
 * Reads `tsetcd serve`'s configuration the way etcd does:
 *  - command-line flags with Go's flag syntax (`-name x`, `--name=x`, `--debug`, `--debug=false`);
 *  - `ETCD_<FLAG>` environment variables for flags not given on the command line;
 *  - or, when `--config-file` (or ETCD_CONFIG_FILE) is given, only the YAML file: other flags
 *    and environment variables are then ignored.
 * Errors carry etcd's messages and name the flag.
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { FLAGS, FLAG_BY_NAME, envName, type FlagDef } from './flags.js'
import { parseGoDuration } from '../../go/duration.js'

export class ConfigError extends Error {
  /** Exit status: 2 for command-line syntax errors (as Go's flag package), 1 otherwise. */
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
    this.name = 'ConfigError'
  }
}

export type RawValues = Map<string, string>

export interface ParsedArgs {
  values: RawValues
  /** Flags given explicitly on the command line or in the environment / file. */
  explicit: Set<string>
  warnings: string[]
  help: boolean
}

/** Go `flag` syntax. */
export function parseArgv(argv: string[]): { values: RawValues; help: boolean } {
  const values: RawValues = new Map()
  let help = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') break
    if (!arg.startsWith('-') || arg === '-') throw new ConfigError(`'${arg}' is not a valid flag`, 2)
    const body = arg.replace(/^--?/, '')
    const eq = body.indexOf('=')
    const name = eq < 0 ? body : body.slice(0, eq)
    if (name === 'h' || name === 'help') {
      help = true
      continue
    }
    const def = FLAG_BY_NAME.get(name)
    if (!def) throw new ConfigError(`flag provided but not defined: -${name}`, 2)
    let value: string
    if (eq >= 0) value = body.slice(eq + 1)
    else if (def.type === 'bool') value = 'true'
    else {
      if (i + 1 >= argv.length) throw new ConfigError(`flag needs an argument: -${name}`, 2)
      value = argv[++i]
    }
    checkValue(def, value, (v) => `invalid value "${v}" for flag -${name}: parse error`, 2)
    values.set(name, value)
  }
  return { values, help }
}

function checkValue(def: FlagDef, value: string, message: (v: string) => string, exitCode: number): void {
  const ok = (() => {
    switch (def.type) {
      case 'bool':
        return /^(1|0|t|f|T|F|true|false|TRUE|FALSE|True|False)$/.test(value)
      case 'int':
        return /^[+-]?\d+$/.test(value)
      case 'uint':
        return /^\+?\d+$/.test(value)
      case 'duration':
        return parseGoDuration(value) !== undefined
      default:
        return true
    }
  })()
  if (!ok) throw new ConfigError(message(value), exitCode)
}

/** Environment variables for flags not set on the command line. */
export function readEnv(env: NodeJS.ProcessEnv, values: RawValues, warnings: string[]): void {
  const known = new Set(FLAGS.map((d) => envName(d.name)))
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('ETCD_') || v === undefined) continue
    if (k === 'ETCD_VERSION') {
      // etcd ignores it (it would stand for --version): "cannot set special environment variable".
      warnings.push(`cannot set special environment variable ETCD_VERSION=${v}`)
      continue
    }
    if (!known.has(k)) {
      // etcd warns (and does not fail) on ETCD_* variables it does not know.
      if (k !== 'ETCD_UNSUPPORTED_ARCH') warnings.push(`unrecognized environment variable ${k}=${v}`)
      continue
    }
    const name = k.slice(5).toLowerCase().replace(/_/g, '-')
    const def = FLAG_BY_NAME.get(name)!
    if (values.has(name)) {
      warnings.push(`recognized environment variable ${k}, but unused: shadowed by corresponding flag`)
      continue
    }
    checkValue(
      def,
      v,
      (x) => `error verifying flags, invalid value "${x}" for ${k}: parse error. See 'tsetcd serve --help'.`,
      1,
    )
    values.set(name, v)
  }
}

const TRANSPORT_KEYS: Record<string, Record<string, string>> = {
  'client-transport-security': {
    'cert-file': 'cert-file',
    'key-file': 'key-file',
    'client-cert-auth': 'client-cert-auth',
    'trusted-ca-file': 'trusted-ca-file',
    'auto-tls': 'auto-tls',
    'client-crl-file': 'client-crl-file',
    'allowed-hostname': 'client-cert-allowed-hostname',
  },
  'peer-transport-security': {
    'cert-file': 'peer-cert-file',
    'key-file': 'peer-key-file',
    'client-cert-auth': 'peer-client-cert-auth',
    'trusted-ca-file': 'peer-trusted-ca-file',
    'auto-tls': 'peer-auto-tls',
    'crl-file': 'peer-crl-file',
    'allowed-cn': 'peer-cert-allowed-cn',
    'allowed-hostname': 'peer-cert-allowed-hostname',
  },
}

/** The YAML parser, loaded only for a config file (about 70 modules a member otherwise keeps). */
function loadYaml(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml')
}

/** etcd's YAML config file: the same keys as the flags, TLS settings nested per transport. */
export function readConfigFile(path: string, values: RawValues): void {
  let text: string
  try {
    text = fs.readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(
      `error verifying flags, open ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}. See 'tsetcd serve --help'.`,
    )
  }
  const YAML = loadYaml()
  let doc: unknown
  try {
    doc = YAML.parse(text)
  } catch (err) {
    throw new ConfigError(
      `error verifying flags, ${path}: invalid YAML: ${(err as Error).message.split('\n')[0]}. See 'tsetcd serve --help'.`,
    )
  }
  if (doc === null || doc === undefined) return
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`error verifying flags, ${path}: expected a mapping of settings. See 'tsetcd serve --help'.`)
  const set = (name: string, raw: unknown, where: string): void => {
    const def = FLAG_BY_NAME.get(name)
    if (!def) return
    let v: string
    if (Array.isArray(raw)) v = raw.map(String).join(',')
    else if (raw === null || raw === undefined) return
    else if (def.type === 'duration' && typeof raw === 'number')
      v = `${raw}ns` // Go marshals durations as nanoseconds
    else v = String(raw)
    checkValue(
      def,
      v,
      (x) => `error verifying flags, invalid value "${x}" for ${where} in ${path}. See 'tsetcd serve --help'.`,
      1,
    )
    values.set(name, v)
  }
  for (const [key, raw] of Object.entries(doc as Record<string, unknown>)) {
    const nested = TRANSPORT_KEYS[key]
    if (nested) {
      if (raw && typeof raw === 'object')
        for (const [k, v] of Object.entries(raw as Record<string, unknown>))
          if (nested[k]) set(nested[k], v, `${key}.${k}`)
      continue
    }
    if (key === 'log-output') set('log-outputs', raw, key)
    else set(key, raw, key)
  }
}

/** Command line, then environment, then (if named) the config file alone. */
export function readSettings(argv: string[], env: NodeJS.ProcessEnv): ParsedArgs {
  const { values, help } = parseArgv(argv)
  const warnings: string[] = []
  const configFile = values.get('config-file') ?? env.ETCD_CONFIG_FILE
  if (configFile) {
    const fromFile: RawValues = new Map()
    readConfigFile(configFile, fromFile)
    return { values: fromFile, explicit: new Set(fromFile.keys()), warnings, help }
  }
  const explicit = new Set(values.keys())
  readEnv(env, values, warnings)
  for (const k of values.keys()) explicit.add(k)
  return { values, explicit, warnings, help }
}
