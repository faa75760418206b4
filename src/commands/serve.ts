import { Command } from '@oclif/core'
import { buildConfig } from '../server/config/config.js'
import { ConfigError } from '../server/config/parse.js'
import { serveUsage } from '../server/config/usage.js'
import { createLogger } from '../server/log.js'
import { ETCD_VERSION } from '../version.js'
import { startMember } from '../server/embed/member.js'
import { notifySystemdReady } from '../server/embed/systemd.js'

export default class Serve extends Command {
  static override summary = "Run a tsetcd member (takes etcd's flags, ETCD_* variables and --config-file)"
  static override examples = [
    '<%= config.bin %> serve --name infra1 --data-dir /var/lib/etcd --listen-client-urls http://10.0.0.1:2379 --advertise-client-urls http://10.0.0.1:2379 --listen-peer-urls http://10.0.0.1:2380 --initial-advertise-peer-urls http://10.0.0.1:2380 --initial-cluster infra1=http://10.0.0.1:2380',
    '<%= config.bin %> serve --config-file etcd1_conf.yml',
  ]
  static override strict = false
  // etcd's flags are parsed with Go's flag syntax by src/server/config, not by oclif.
  static override flags = {}

  async run(): Promise<void> {
    let cfg
    try {
      cfg = buildConfig(this.argv, process.env)
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
}
