import { Args, Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../cli/base.js'
import { KVService } from '../gen/etcdserverpb.js'

export default class Compaction extends ClientCommand {
  static override summary = 'Compacts the event history in etcd'
  static override usage = 'compaction [options] <revision>'
  static override examples = ['<%= config.bin %> compaction 1234', '<%= config.bin %> compaction --physical 1234']
  static override strict = false
  static override args = { revision: Args.string({ ignoreStdin: true }) }
  static override flags = {
    physical: Flags.boolean({ description: "'true' to wait for compaction to physically remove all old revisions" }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Compaction)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'compaction command needs 1 argument')
    if (!/^[+-]?\d+$/.test(args[0]))
      throw exitWithError(ExitCode.Error, `strconv.ParseInt: parsing "${args[0]}": invalid syntax`)
    const rev = Number(args[0])
    const client = await this.connect(g)
    await client.call(KVService.Compact, { revision: rev, physical: flags.physical }, this.commandTimeout(g))
    process.stdout.write(`compacted revision ${rev}\n`)
  }
}
