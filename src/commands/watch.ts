import { Args, Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, globalFlags, type GlobalFlags } from '../cli/base.js'
import { printerFor } from '../cli/printer.js'
import { argify } from '../ctl/txn-grammar.js'
import { WatchSession } from '../client/watch.js'
import {
  checkWatchEnv,
  parseWatchCommandLine,
  positionalArgs,
  parseWatchLine,
  watchOptions,
  type WatchEnv,
} from '../ctl/watch-args.js'
import { printWatch, type WatchPrintSink } from '../ctl/watch-print.js'
import { EtcdctlExit } from '../output/exit-error.js'
import { parseInt64 } from '../go/strconv.js'
import type { Printer } from '../output/printer.js'

/**
 * The arguments after `watch` as typed (etcdctl reads os.Args for `--` and the exec
 * command); global flags written before `watch` are not among them.
 */
function rawWatchArgs(parsed: string[]): string[] {
  const argv = process.argv.slice(2)
  const i = argv.indexOf('watch')
  return i >= 0 ? argv.slice(i + 1) : parsed
}

/** Flags (long names and shorthands) that take a value. */
const VALUE_FLAGS = new Set(
  Object.entries({ ...globalFlags, rev: true })
    .filter(([name, def]) => name === 'rev' || (def as { type: string }).type === 'option')
    .flatMap(([name, def]) => [name, ...((def as { char?: string }).char ? [(def as { char: string }).char] : [])]),
)

export default class Watch extends ClientCommand {
  static override summary = 'Watches events stream on keys or prefixes'
  static override usage = 'watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]'
  static override examples = [
    '<%= config.bin %> watch foo',
    '<%= config.bin %> watch foo --prefix',
    '<%= config.bin %> watch --rev 2 foo',
    '<%= config.bin %> watch -i',
    '<%= config.bin %> watch foo -- echo watch event received',
    '<%= config.bin %> watch --prefix foo --prev-kv -w json',
  ]
  static override strict = false
  static override args = { key: Args.string({ ignoreStdin: true }), range_end: Args.string({ ignoreStdin: true }) }
  static override flags = {
    interactive: Flags.boolean({ char: 'i', description: 'Interactive mode' }),
    prefix: Flags.boolean({ description: 'Watch on a prefix if prefix is set' }),
    rev: Flags.string({ description: 'Revision to start watching', default: '0' }),
    'prev-kv': Flags.boolean({ description: 'get the previous key-value pair before the event happens' }),
    'progress-notify': Flags.boolean({ description: 'get periodic watch progress notification from server' }),
  }

  private sessions: WatchSession[] = []

  async run(): Promise<void> {
    const raw = rawWatchArgs(this.argv)
    const { flags } = await this.parse(Watch)
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    const rev = parseInt64(flags.rev, 0)
    if (rev.err !== undefined)
      throw exitWithError(ExitCode.Error, `invalid argument "${flags.rev}" for "--rev" flag: ${rev.err}`)
    const env: WatchEnv = {
      key: process.env.ETCDCTL_WATCH_KEY ?? '',
      rangeEnd: process.env.ETCDCTL_WATCH_RANGE_END ?? '',
    }
    checkWatchEnv(env)
    if (flags.interactive) return this.interactive(g, printer, env)

    // oclif's argv mixes up arguments around `--`: take them as pflag does.
    const positional = positionalArgs(this.argv, (name) => VALUE_FLAGS.has(name))
    const { watchArgs, execArgs } = parseWatchCommandLine(raw, positional, env)
    const session = await this.session(g)
    const opts = watchOptions(
      watchArgs.map((a) => Buffer.from(a)),
      {
        prefix: flags.prefix,
        rev: Number(rev.value),
        prevKv: flags['prev-kv'],
        progressNotify: flags['progress-notify'],
      },
    )
    if ('error' in opts) throw exitWithError(ExitCode.BadArgs, opts.error)
    await printWatch(session.watch(opts), printer, execArgs, this.printSink())
    throw exitWithError(ExitCode.Interrupted, 'watch is canceled by the server')
  }

  /** `watch -i`: watch and progress requests, one per line on stdin. */
  private async interactive(g: GlobalFlags, printer: Printer, env: WatchEnv): Promise<void> {
    const session = await this.session(g)
    const out = this.printSink()
    const invalid = (text: string): void => {
      process.stderr.write(Buffer.from(text, 'latin1'))
    }
    // Lines are bytes (keys need not be UTF-8), handled as latin1 text.
    let pending = ''
    for await (const chunk of process.stdin) {
      pending += (chunk as Buffer).toString('latin1')
      let nl: number
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        const words = argify(line)
        if (words.length < 1) {
          invalid(`Invalid command: ${line} (watch and progress supported)\n`)
        } else if (words[0] === 'watch') {
          if (words.length < 2 && env.key === '') {
            invalid(`Invalid command ${line} (command type or key is not provided)\n`)
            continue
          }
          const parsed = parseWatchLine(words, env)
          const opts = watchOptions(
            parsed.watchArgs.map((a) => Buffer.from(a, 'latin1')),
            parsed.flags,
          )
          if ('error' in opts) {
            invalid(`Invalid command ${line} (${opts.error})\n`)
            continue
          }
          const execArgs = parsed.execArgs.map((a) => Buffer.from(a, 'latin1').toString())
          printWatch(session.watch(opts), printer, execArgs, out).catch((err: unknown) => {
            // A failed exec command (or output format) ends etcdctl at once.
            const e = err instanceof EtcdctlExit ? err : new EtcdctlExit(1, String(err))
            process.stderr.write(e.stderr)
            process.exit(e.exitCode)
          })
        } else if (words[0] === 'progress') {
          session.requestProgress()
        } else {
          invalid(`Invalid command ${line} (only support watch)\n`)
        }
      }
    }
    throw exitWithError(ExitCode.InvalidInput, 'Error reading watch request line: EOF')
  }

  private async session(g: GlobalFlags): Promise<WatchSession> {
    const client = await this.connect(g)
    const session = WatchSession.open(client, () => this.connect(g))
    this.sessions.push(session)
    return session
  }

  override async finally(err: Error | undefined): Promise<unknown> {
    for (const s of this.sessions) s.close()
    return super.finally(err)
  }

  private printSink(): WatchPrintSink {
    return {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      emit: (o) => this.emit(o),
    }
  }
}
