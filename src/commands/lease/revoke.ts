import { Args } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { ClientError } from '../../client/client.js'
import { revoke } from '../../client/lease.js'
import { parseLeaseId } from '../../ctl/lease-args.js'

export default class LeaseRevoke extends ClientCommand {
  static override summary = 'Revokes leases'
  static override usage = 'lease revoke <leaseID>'
  static override examples = ['<%= config.bin %> lease revoke 32695410dcc0ca06']
  static override strict = false
  static override args = { leaseID: Args.string({ ignoreStdin: true }) }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(LeaseRevoke)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'lease revoke command needs 1 argument')
    const id = parseLeaseId(args[0])
    if ('error' in id) throw exitWithError(ExitCode.BadArgs, id.error)
    const client = await this.connect(g)
    const res = await revoke(client, id.id, this.commandTimeout(g)).catch((err) => {
      throw err instanceof ClientError ? exitWithError(ExitCode.Error, `failed to revoke lease (${err.message})`) : err
    })
    this.emit(printer.revoke(id.id, res))
  }
}
