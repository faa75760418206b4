import { Args } from '@oclif/core'
import { ClientCommand, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { ClusterService } from '../../gen/etcdserverpb.js'
import { memberIdArgument } from '../../ctl/member-args.js'

export default class MemberPromote extends ClientCommand {
  static override summary = 'Promotes a non-voting member in the cluster'
  static override usage = 'member promote <memberID>'
  static override examples = ['<%= config.bin %> member promote 8e9e05c52164694d']
  static override strict = false
  static override args = { memberID: Args.string({ ignoreStdin: true }) }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(MemberPromote)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    const id = memberIdArgument(args)
    const client = await this.connect(g)
    const res = await client.call(ClusterService.MemberPromote, { ID: id }, this.commandTimeout(g))
    this.emit(printer.memberPromote(id, res))
  }
}
