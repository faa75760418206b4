/**
 * The base of tsetcd's client commands: etcdctl's global flags (with their ETCDCTL_* env
 * vars), the client built from them, and etcdctl's error output and exit codes.
 */
import { Command, Flags, Errors as OclifErrors } from '@oclif/core'
import { lastFlagWins } from './argv.js'
import { AuthenticationError, EtcdClient, ClientError } from '../client/client.js'
import { clusterEndpoints, endpointDefragment } from '../client/endpoints.js'
import { TlsFileError } from '../client/tls.js'
import { parseGoDuration } from '../go/duration.js'
import { EtcdctlExit, ExitCode, exitWithError } from '../output/exit-error.js'
import type { Output } from '../output/out.js'
import { colourError } from '../output/colour.js'
import { stderrColour } from './printer.js'
import { askPassword } from './password.js'

export { ExitCode, EtcdctlExit, exitWithError } from '../output/exit-error.js'

export const globalFlags = {
  endpoints: Flags.string({
    description: 'gRPC endpoints',
    default: '127.0.0.1:2379',
    env: 'ETCDCTL_ENDPOINTS',
    helpGroup: 'GLOBAL',
  }),
  'dial-timeout': Flags.string({
    description: 'dial timeout for client connections',
    default: '2s',
    env: 'ETCDCTL_DIAL_TIMEOUT',
    helpGroup: 'GLOBAL',
  }),
  'command-timeout': Flags.string({
    description: 'timeout for short running command (excluding dial timeout)',
    default: '5s',
    env: 'ETCDCTL_COMMAND_TIMEOUT',
    helpGroup: 'GLOBAL',
  }),
  'keepalive-time': Flags.string({
    description: 'keepalive time for client connections',
    default: '2s',
    env: 'ETCDCTL_KEEPALIVE_TIME',
    helpGroup: 'GLOBAL',
  }),
  'keepalive-timeout': Flags.string({
    description: 'keepalive timeout for client connections',
    default: '6s',
    env: 'ETCDCTL_KEEPALIVE_TIMEOUT',
    helpGroup: 'GLOBAL',
  }),
  'write-out': Flags.string({
    char: 'w',
    description: 'set the output format (fields, json, protobuf, simple, table)',
    default: 'simple',
    env: 'ETCDCTL_WRITE_OUT',
    helpGroup: 'GLOBAL',
  }),
  hex: Flags.boolean({
    description: 'print byte strings as hex encoded strings',
    env: 'ETCDCTL_HEX',
    helpGroup: 'GLOBAL',
  }),
  debug: Flags.boolean({ description: 'enable client-side debug logging', env: 'ETCDCTL_DEBUG', helpGroup: 'GLOBAL' }),
  cacert: Flags.string({
    aliases: ['ca-file'],
    description: 'verify certificates of TLS-enabled secure servers using this CA bundle',
    env: 'ETCDCTL_CACERT',
    helpGroup: 'GLOBAL',
  }),
  cert: Flags.string({
    aliases: ['cert-file'],
    description: 'identify secure client using this TLS certificate file',
    env: 'ETCDCTL_CERT',
    helpGroup: 'GLOBAL',
  }),
  key: Flags.string({
    aliases: ['key-file'],
    description: 'identify secure client using this TLS key file',
    env: 'ETCDCTL_KEY',
    helpGroup: 'GLOBAL',
  }),
  'insecure-skip-tls-verify': Flags.boolean({
    description:
      'skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)',
    env: 'ETCDCTL_INSECURE_SKIP_TLS_VERIFY',
    helpGroup: 'GLOBAL',
  }),
  'insecure-transport': Flags.boolean({
    description: 'disable transport security for client connections',
    default: true,
    allowNo: true,
    env: 'ETCDCTL_INSECURE_TRANSPORT',
    helpGroup: 'GLOBAL',
  }),
  'insecure-discovery': Flags.boolean({
    description: 'accept insecure SRV records describing cluster endpoints',
    default: true,
    allowNo: true,
    env: 'ETCDCTL_INSECURE_DISCOVERY',
    helpGroup: 'GLOBAL',
  }),
  'discovery-srv': Flags.string({
    char: 'd',
    description: 'domain name to query for SRV records describing cluster endpoints',
    env: 'ETCDCTL_DISCOVERY_SRV',
    helpGroup: 'GLOBAL',
  }),
  'discovery-srv-name': Flags.string({
    description: 'service name to query when using DNS discovery',
    env: 'ETCDCTL_DISCOVERY_SRV_NAME',
    helpGroup: 'GLOBAL',
  }),
  user: Flags.string({
    description: 'username[:password] for authentication (prompt if password is not supplied)',
    env: 'ETCDCTL_USER',
    helpGroup: 'GLOBAL',
  }),
  password: Flags.string({
    description: "password for authentication (if this option is used, --user option shouldn't include password)",
    env: 'ETCDCTL_PASSWORD',
    helpGroup: 'GLOBAL',
  }),
}

export type GlobalFlags = {
  endpoints: string
  'dial-timeout': string
  'command-timeout': string
  'keepalive-time': string
  'keepalive-timeout': string
  'write-out': string
  hex: boolean
  cacert?: string
  cert?: string
  key?: string
  'insecure-skip-tls-verify': boolean
  'insecure-transport': boolean
  user?: string
  password?: string
}

/**
 * etcdctl's authCfgFromCmd: `--user name:password`, `--user name --password pw`, or `--user name`
 * and the password asked on the terminal. Undefined without --user.
 */
export function authOf(g: GlobalFlags): { username: string; password: string } | undefined {
  const user = g.user ?? ''
  if (user === '') return undefined
  if (g.password) return { username: user, password: g.password }
  const colon = user.indexOf(':')
  if (colon >= 0) return { username: user.slice(0, colon), password: user.slice(colon + 1) }
  return { username: user, password: askPassword('Password: ') }
}

export function durationFlag(name: string, text: string): number {
  const ms = parseGoDuration(text)
  if (ms === undefined)
    throw exitWithError(
      ExitCode.Error,
      `invalid argument "${text}" for "--${name}" flag: time: invalid duration "${text}"`,
    )
  return ms
}

/**
 * pflag accepts `--flag=true` / `--flag=false` for booleans; oclif accepts only `--flag`.
 * Rewrites those forms for the command's boolean flags before oclif parses them.
 */
export function normalizeBooleanFlags(
  argv: string[],
  flags: Record<string, { type: string; char?: string }>,
): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      out.push(...argv.slice(i))
      break
    }
    const m = /^--([^=]+)=(.*)$/.exec(arg)
    const def = m ? flags[m[1]] : undefined
    if (m && def && def.type === 'boolean') {
      const v = m[2].toLowerCase()
      if (['true', '1', 't'].includes(v)) out.push(`--${m[1]}`)
      else if (['false', '0', 'f'].includes(v)) {
        if ((def as { allowNo?: boolean }).allowNo) out.push(`--no-${m[1]}`)
      } else out.push(arg)
    } else out.push(arg)
  }
  return out
}

export abstract class ClientCommand extends Command {
  static override baseFlags = globalFlags
  static override strict = true

  private client?: EtcdClient

  override async init(): Promise<void> {
    const ctor = this.constructor as typeof ClientCommand
    const flags = { ...(ctor.flags ?? {}), ...globalFlags } as Record<string, { type: string }>
    this.argv = lastFlagWins(normalizeBooleanFlags(this.argv, flags), flags)
    await super.init()
  }

  /** Connects with the global flags (etcdctl's mustClientFromCmd). */
  protected async connect(g: GlobalFlags): Promise<EtcdClient> {
    this.client = await this.connectTo(
      g,
      g.endpoints
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    return this.client
  }

  /** --endpoints, or with `cluster` every member's client URLs from the member list (etcdctl's --cluster). */
  protected async targetEndpoints(g: GlobalFlags, cluster: boolean): Promise<string[]> {
    if (!cluster)
      return g.endpoints
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    try {
      return await clusterEndpoints(await this.connect(g), this.commandTimeout(g))
    } catch (err) {
      throw exitWithError(
        ExitCode.Error,
        `failed to fetch endpoints from etcd cluster member list: ${(err as Error).message}`,
      )
    }
  }

  /** A client for `endpoints` with the global flags' timeouts and TLS settings; the caller closes it. */
  protected async connectTo(g: GlobalFlags, endpoints: string[]): Promise<EtcdClient> {
    const secure = !g['insecure-transport'] || !!(g.cacert || g.cert || g.key)
    const auth = authOf(g)
    return EtcdClient.connect({
      username: auth?.username,
      password: auth?.password,
      endpoints,
      dialTimeoutMs: durationFlag('dial-timeout', g['dial-timeout']),
      keepaliveTimeMs: durationFlag('keepalive-time', g['keepalive-time']),
      keepaliveTimeoutMs: durationFlag('keepalive-timeout', g['keepalive-timeout']),
      secure,
      tls: { caFile: g.cacert, certFile: g.cert, keyFile: g.key, insecureSkipVerify: g['insecure-skip-tls-verify'] },
    }).catch((err) => {
      if (err instanceof TlsFileError) throw exitWithError(ExitCode.BadArgs, err.message)
      if (err instanceof AuthenticationError) throw exitWithError(ExitCode.BadConnection, err.message)
      throw err
    })
  }

  /** Maintenance.Defragment on `endpoint` alone, within the command timeout. */
  protected async defragEndpoint(g: GlobalFlags, endpoint: string): Promise<void> {
    const c = await this.connectTo(g, [endpoint])
    try {
      await endpointDefragment(c, this.commandTimeout(g))
    } finally {
      c.close()
    }
  }

  protected commandTimeout(g: GlobalFlags): number {
    return durationFlag('command-timeout', g['command-timeout'])
  }

  /** Writes a printer's result: stdout bytes as they are, then its stderr text. */
  protected emit(o: Output): void {
    if (o.stdout.length > 0) process.stdout.write(o.stdout)
    if (o.stderr) process.stderr.write(o.stderr)
  }

  override async finally(err: Error | undefined): Promise<unknown> {
    this.client?.close()
    return super.finally(err)
  }

  override async catch(err: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof EtcdctlExit) {
      process.stderr.write(colourError(err.stderr, stderrColour(this.argv)))
      process.exitCode = err.exitCode
      return undefined
    }
    if (err instanceof OclifErrors.ExitError) throw err
    let message = err.message
    if (!(err instanceof ClientError)) {
      // oclif's parser errors, in pflag's words
      const nonexistent = /Nonexistent flags?: (\S+)/.exec(message)
      const expects = /Flag --(\S+) expects a value/.exec(message)
      if (nonexistent) message = `unknown flag: ${nonexistent[1].replace(/,$/, '')}`
      else if (expects) message = `flag needs an argument: --${expects[1]}`
      else message = message.split('\n')[0]
    }
    process.stderr.write(colourError(`Error: ${message}\n`, stderrColour(this.argv)))
    process.exitCode = ExitCode.Error
    return undefined
  }
}
