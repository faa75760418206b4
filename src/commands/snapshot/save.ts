import { Args, Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { ClientError, type EtcdClient } from '../../client/client.js'
import { endpointHealth } from '../../client/endpoints.js'
import { saveSnapshot } from '../../client/snapshot.js'
import { progressLine, pruneSnapshots, resolveTarget } from '../../ctl/snapshot-save.js'

export default class SnapshotSave extends ClientCommand {
  static override summary = 'Stores an etcd node backend snapshot to a given file'
  static override description = `With several --endpoints, the first healthy one is used (named on stderr).
FILE may be a directory: the snapshot is then named snapshot-YYYYMMDDTHHMMSSZ.db (UTC), and
--keep N keeps the N newest such snapshots whose sha256 checks, removing older ones once the
new one is saved.`
  static override usage = 'snapshot save <filename>'
  static override examples = [
    '<%= config.bin %> snapshot save backup.db',
    '<%= config.bin %> --endpoints=10.0.0.1:2379,10.0.0.2:2379 snapshot save /var/backups/etcd --keep 7',
  ]
  static override strict = false
  static override args = { filename: Args.string({ ignoreStdin: true }) }
  static override flags = {
    keep: Flags.integer({
      description: 'when <filename> is a directory: keep this many newest snapshots in it, remove older ones',
      min: 1,
    }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(SnapshotSave)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'snapshot save expects one argument')
    const target = await resolveTarget(args[0], new Date())
    if (flags.keep !== undefined && target.dir === undefined)
      throw exitWithError(ExitCode.BadArgs, `--keep needs <filename> to be a directory: ${args[0]} is not one`)

    const client = await this.pickEndpoint(g)
    // etcdctl: without --command-timeout the transfer has no time limit.
    const timed =
      process.env.ETCDCTL_COMMAND_TIMEOUT !== undefined ||
      this.argv.some((a) => a === '--command-timeout' || a.startsWith('--command-timeout='))
    const progress = process.stderr.isTTY ? progressLine((s) => process.stderr.write(s)) : undefined
    try {
      await saveSnapshot(client, target.path, {
        timeoutMs: timed ? this.commandTimeout(g) : undefined,
        progress: progress?.update,
      })
    } catch (err) {
      throw exitWithError(ExitCode.Interrupted, (err as Error).message)
    } finally {
      progress?.done()
      client.close()
    }
    process.stdout.write(`Snapshot saved at ${target.path}\n`)
    if (flags.keep !== undefined && target.dir !== undefined) {
      const pruned = await pruneSnapshots(target.dir, flags.keep)
      for (const p of pruned.removed) process.stdout.write(`Removed old snapshot ${p}\n`)
      for (const p of pruned.bad) process.stderr.write(`warning: ${p} fails its sha256 check; not counted\n`)
    }
  }

  /** The endpoint to save from: the only one given, or the first healthy one. */
  private async pickEndpoint(g: GlobalFlags): Promise<EtcdClient> {
    const endpoints = g.endpoints
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const connect = (ep: string) =>
      this.connectTo(g, [ep]).catch((err) => {
        throw err instanceof ClientError ? exitWithError(ExitCode.Interrupted, err.message) : err
      })
    if (endpoints.length <= 1) return connect(endpoints[0] ?? '')
    const timeout = this.commandTimeout(g)
    const reasons: string[] = []
    for (const ep of endpoints) {
      const h = await endpointHealth(ep, () => this.connectTo(g, [ep]), timeout)
      if (h.health) {
        process.stderr.write(`saving the snapshot from ${ep} (the first healthy of ${endpoints.length} endpoints)\n`)
        return connect(ep)
      }
      reasons.push(`${ep}: ${h.error}`)
    }
    throw exitWithError(ExitCode.Interrupted, `no healthy endpoint to save a snapshot from (${reasons.join('; ')})`)
  }
}
