import { ClientCommand, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { ClusterService } from '../../gen/etcdserverpb.js'

export default class MemberList extends ClientCommand {
  static override summary = 'Lists all members in the cluster'
  static override usage = 'member list'

  async run(): Promise<void> {
    const { flags } = await this.parse(MemberList)
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    const client = await this.connect(g)
    const res = await client.call(ClusterService.MemberList, {}, this.commandTimeout(g), true)
    this.emit(printer.memberList(res))
  }
}
