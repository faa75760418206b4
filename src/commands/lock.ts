import { Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, globalFlags, type GlobalFlags } from '../cli/base.js'
import { printerFor } from '../cli/printer.js'
import { Redialing, Session } from '../client/concurrency.js'
import { KVService } from '../gen/etcdserverpb.js'
import { positionalArgs } from '../ctl/watch-args.js'
import { runWatchCommand } from '../ctl/watch-exec.js'
import { parseInt64 } from '../go/strconv.js'

/** Flags (long names and shorthands) that take a value. */
const VALUE_FLAGS = new Set(
  Object.entries({ ...globalFlags, ttl: true })
    .filter(([name, def]) => name === 'ttl' || (def as { type: string }).type === 'option')
    .flatMap(([name, def]) => [name, ...((def as { char?: string }).char ? [(def as { char: string }).char] : [])]),
)

/** Resolves with the signal's name at the first SIGINT or SIGTERM. */
export function interrupted(): { promise: Promise<void>; signal: AbortSignal; dispose(): void } {
  const ac = new AbortController()
  const on = () => ac.abort(new Error('context canceled'))
  process.once('SIGINT', on)
  process.once('SIGTERM', on)
  return {
    promise: new Promise<void>((r) => ac.signal.addEventListener('abort', () => r(), { once: true })),
    signal: ac.signal,
    dispose: () => {
      process.removeListener('SIGINT', on)
      process.removeListener('SIGTERM', on)
    },
  }
}

export default class Lock extends ClientCommand {
  static override summary = 'Acquires a named lock'
  static override usage = 'lock <lockname> [exec-command arg1 arg2 ...]'
  static override description =
    'When the lock is held without a command, its key is printed and the lock is held until the process is interrupted (SIGINT, SIGTERM). With a command, the command runs while the lock is held, with ETCD_LOCK_KEY and ETCD_LOCK_REV in its environment, and the lock is released when it exits.'
  static override examples = [
    '<%= config.bin %> lock mylock',
    '<%= config.bin %> lock --ttl 5 mylock -- sh -c \'echo "$ETCD_LOCK_KEY"\'',
  ]
  static override strict = false
  static override flags = {
    ttl: Flags.string({ description: 'timeout for session', default: '10' }),
  }

  private conn?: Redialing

  async run(): Promise<void> {
    const { flags } = await this.parse(Lock)
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    const ttl = parseInt64(flags.ttl, 0)
    if (ttl.err !== undefined)
      throw exitWithError(ExitCode.Error, `invalid argument "${flags.ttl}" for "--ttl" flag: ${ttl.err}`)
    const args = positionalArgs(this.argv, (name) => VALUE_FLAGS.has(name))
    if (args.length === 0)
      throw exitWithError(ExitCode.BadArgs, 'lock takes a lock name argument and an optional command to execute')
    const name = Buffer.from(args[0]).toString('latin1')
    const cmdArgs = args.slice(1)

    const client = await this.connect(g)
    const conn = new Redialing(client, () =>
      this.connectTo(
        g,
        g.endpoints
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    )
    this.conn = conn
    const sig = interrupted()
    try {
      const session = await Session.create(conn, Number(ttl.value)).catch((err: Error) => {
        throw exitWithError(ExitCode.Error, err.message)
      })
      const m = session.mutex(name)
      await m.lock(sig.signal).catch((err: Error) => {
        throw exitWithError(ExitCode.Error, err.message)
      })
      const key = Buffer.from(m.key, 'latin1')
      if (cmdArgs.length > 0) {
        const env: Record<string, string> = {}
        // Values already in the environment win, as with Go's exec.
        if (process.env.ETCD_LOCK_KEY === undefined) env.ETCD_LOCK_KEY = key.toString()
        if (process.env.ETCD_LOCK_REV === undefined) env.ETCD_LOCK_REV = String(m.header?.revision ?? 0)
        sig.dispose()
        // The command's own signals are its business; the lock is released once it exits.
        const keep = () => undefined
        process.on('SIGINT', keep)
        process.on('SIGTERM', keep)
        const err = await runWatchCommand(cmdArgs, env)
        const unlockErr = await m.unlock().then(
          () => undefined,
          (e: Error) => e.message,
        )
        if (err !== undefined) throw exitWithError(ExitCode.Error, err)
        if (unlockErr !== undefined) throw exitWithError(ExitCode.Error, unlockErr)
        return
      }
      const k = await conn.call(KVService.Range, { key }, sig.signal).catch((err: Error) => {
        throw exitWithError(ExitCode.Error, err.message)
      })
      if (k.kvs.length === 0) throw exitWithError(ExitCode.Error, 'lock lost on init')
      this.emit(printer.get(k))
      const outcome = await Promise.race([sig.promise.then(() => 'signal'), session.done.then(() => 'expired')])
      if (outcome === 'signal') {
        await m.unlock().catch((err: Error) => {
          throw exitWithError(ExitCode.Error, err.message)
        })
        return
      }
      throw exitWithError(ExitCode.Error, 'session expired')
    } finally {
      sig.dispose()
    }
  }

  override async finally(err: Error | undefined): Promise<unknown> {
    this.conn?.close()
    const r = await super.finally(err)
    // Timers of the session and open streams do not keep the command alive.
    process.exit(process.exitCode ?? 0)
    return r
  }
}
