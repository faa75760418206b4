import { ClientCommand, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { ClusterService } from '../../gen/etcdserverpb.js'

export default class MemberList extends ClientCommand {
  static override summary = 'Lists all members in the cluster'
  static override usage = 'member list'
  static override examples = [
    '<%= config.bin %> member list',
    '<%= config.bin %> member list -w table',
    '<%= config.bin %> --endpoints=https://10.0.0.1:2379 --cacert=ca.pem --cert=client.pem --key=client-key.pem member list',
  ]

  async run(): Promise<void> {
    const { flags } = await this.parse(MemberList)
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    const client = await this.connect(g)
    const res = await client.call(ClusterService.MemberList, {}, this.commandTimeout(g), true)
    this.emit(printer.memberList(res))
  }
}
