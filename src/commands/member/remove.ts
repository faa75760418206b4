import { Args } from '@oclif/core'
import { ClientCommand, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { ClusterService } from '../../gen/etcdserverpb.js'
import { memberIdArgument } from '../../ctl/member-args.js'

export default class MemberRemove extends ClientCommand {
  static override summary = 'Removes a member from the cluster'
  static override usage = 'member remove <memberID>'
  static override examples = ['<%= config.bin %> member remove 8e9e05c52164694d']
  static override strict = false
  static override args = { memberID: Args.string({ ignoreStdin: true }) }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(MemberRemove)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    const id = memberIdArgument(args)
    const client = await this.connect(g)
    const res = await client.call(ClusterService.MemberRemove, { ID: id }, this.commandTimeout(g))
    this.emit(printer.memberRemove(id, res))
  }
}
