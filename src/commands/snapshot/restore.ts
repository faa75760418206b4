import { Args, Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError } from '../../cli/base.js'
import { restoreSnapshot } from '../../server/backup/restore.js'
import { createLogger } from '../../server/log.js'

export default class SnapshotRestore extends ClientCommand {
  static override summary = 'Restores an etcd member snapshot to an etcd directory'
  static override usage = 'snapshot restore <filename> [options]'
  static override examples = [
    '<%= config.bin %> snapshot restore backup.db --data-dir /var/lib/etcd/restored',
    '<%= config.bin %> snapshot restore backup.db --name m1 --initial-cluster m1=http://10.0.0.1:2380,m2=http://10.0.0.2:2380,m3=http://10.0.0.3:2380 --initial-cluster-token etcd-cluster-1 --initial-advertise-peer-urls http://10.0.0.1:2380 --data-dir /var/lib/etcd/m1',
  ]
  static override strict = false
  static override args = { filename: Args.string({ ignoreStdin: true }) }
  static override flags = {
    'data-dir': Flags.string({ description: 'Path to the data directory', default: '' }),
    'wal-dir': Flags.string({ description: 'Path to the WAL directory (use --data-dir if none given)', default: '' }),
    'initial-cluster': Flags.string({
      description: 'Initial cluster configuration for restore bootstrap',
      default: 'default=http://localhost:2380',
    }),
    'initial-cluster-token': Flags.string({
      description: 'Initial cluster token for the etcd cluster during restore bootstrap',
      default: 'etcd-cluster',
    }),
    'initial-advertise-peer-urls': Flags.string({
      description: "List of this member's peer URLs to advertise to the rest of the cluster",
      default: 'http://localhost:2380',
    }),
    name: Flags.string({ description: 'Human-readable name for this member', default: 'default' }),
    'skip-hash-check': Flags.boolean({
      description: 'Ignore snapshot integrity hash value (required if copied from data directory)',
    }),
    'bump-revision': Flags.string({
      description: 'How much to increase the latest revision after restore',
      default: '0',
    }),
    'mark-compacted': Flags.boolean({
      description:
        'Mark the latest revision after restore as the point of scheduled compaction (required if --bump-revision > 0, disallowed otherwise)',
    }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(SnapshotRestore)
    const args = argv as string[]
    if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'snapshot restore requires exactly one argument')
    const bumpText = flags['bump-revision']
    if (!/^\+?\d+$/.test(bumpText) || BigInt(bumpText) > BigInt(Number.MAX_SAFE_INTEGER))
      throw exitWithError(
        ExitCode.BadArgs,
        `invalid argument "${bumpText}" for "--bump-revision" flag: strconv.ParseUint: parsing ${JSON.stringify(bumpText)}: ${/^\+?\d+$/.test(bumpText) ? 'value out of range' : 'invalid syntax'}`,
      )
    const bump = Number(bumpText)
    const mark = flags['mark-compacted']
    if ((bump === 0 && mark) || (bump > 0 && !mark))
      throw exitWithError(ExitCode.BadArgs, '--mark-compacted required if --revision-bump > 0')
    try {
      await restoreSnapshot({
        snapshotPath: args[0],
        name: flags.name,
        dataDir: flags['data-dir'],
        walDir: flags['wal-dir'],
        initialCluster: flags['initial-cluster'],
        initialClusterToken: flags['initial-cluster-token'],
        initialAdvertisePeerUrls: flags['initial-advertise-peer-urls'].split(','),
        skipHashCheck: flags['skip-hash-check'],
        bumpRevision: bump,
        markCompacted: mark,
        log: createLogger('info', ['stderr'], 'snapshot'),
      })
    } catch (err) {
      throw exitWithError(ExitCode.Error, (err as Error).message)
    }
  }
}
