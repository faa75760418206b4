/**
 * `tsetcd serve`: etcd's flags (Go's flag syntax), ETCD_* variables or --config-file, parsed by
 * src/server/config rather than oclif; starts the member and runs it until SIGINT or SIGTERM.
 * bin/run.js calls it without loading oclif (a member starts sooner and keeps less in memory);
 * the oclif command (src/commands/serve.ts: `serve` in the help, bin/dev.js) calls it too.
 */
import { buildConfig } from '../config/config.js'
import { ConfigError } from '../config/parse.js'
import { serveUsage } from '../config/usage.js'
import { createLogger } from '../log.js'
import { ETCD_VERSION } from '../../version.js'
import { collectWhenIdle } from './idle-gc.js'
import { startMember } from './member.js'
import { notifySystemdReady } from './systemd.js'

export async function runServe(argv: string[]): Promise<void> {
  let cfg
  try {
    cfg = buildConfig(argv, process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n')
      if (err.exitCode === 2) process.stderr.write(serveUsage())
      process.exit(err.exitCode)
    }
    throw err
  }
  if (cfg.version) {
    process.stdout.write(
      `etcd Version: ${ETCD_VERSION}\nGit SHA: Not provided\nGo Version: (tsetcd on Node.js ${process.version})\nGo OS/Arch: ${process.platform}/${process.arch}\n`,
    )
    return
  }
  if (cfg.help) {
    process.stdout.write(serveUsage())
    return
  }
  let log
  try {
    log = createLogger(
      cfg.logLevel,
      cfg.logOutputs.map((o) => (o === 'default' ? 'stderr' : o)),
    )
  } catch (err) {
    process.stderr.write(`tsetcd: cannot open log output: ${(err as Error).message}\n`)
    process.exit(1)
  }
  for (const w of cfg.warnings) log.warn(w)
  let member
  try {
    member = await startMember(cfg, log)
  } catch (err) {
    log.error('failed to start member', { error: (err as Error).message })
    process.stderr.write(`tsetcd: ${(err as Error).message}\n`)
    process.exit(1)
  }
  void member.ready.then((ready) => (ready ? notifySystemdReady(log.named('etcdmain')) : undefined))
  collectWhenIdle()
  const stop = (signal: string) => {
    log.info('received signal; shutting down', { signal })
    member.stop().then(
      () => process.exit(0),
      (err) => {
        log.error('shutdown failed', { error: err })
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', () => stop('interrupt'))
  process.once('SIGTERM', () => stop('terminated'))
  await new Promise(() => {})
}
