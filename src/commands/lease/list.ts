import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { ClientError } from '../../client/client.js'
import { leases } from '../../client/lease.js'

export default class LeaseList extends ClientCommand {
  static override summary = 'List all active leases'
  static override usage = 'lease list'
  static override examples = ['<%= config.bin %> lease list', '<%= config.bin %> lease list -w json']
  static override strict = false

  async run(): Promise<void> {
    const { flags } = await this.parse(LeaseList)
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    const client = await this.connect(g)
    const res = await leases(client).catch((err) => {
      throw err instanceof ClientError ? exitWithError(ExitCode.BadConnection, err.message) : err
    })
    this.emit(printer.leases(res))
  }
}
