import { Args, Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { ClientError } from '../../client/client.js'
import { timeToLive } from '../../client/lease.js'
import { parseLeaseId } from '../../ctl/lease-args.js'

export default class LeaseTimeToLive extends ClientCommand {
  static override summary = 'Get lease information'
  static override usage = 'lease timetolive <leaseID> [options]'
  static override examples = [
    '<%= config.bin %> lease timetolive 694d5765fc71500b',
    '<%= config.bin %> lease timetolive 694d5765fc71500b --keys',
    '<%= config.bin %> lease timetolive 694d5765fc71500b -w json',
  ]
  static override strict = false
  static override args = { leaseID: Args.string({ ignoreStdin: true }) }
  static override flags = {
    keys: Flags.boolean({ description: 'Get keys attached to this lease' }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(LeaseTimeToLive)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'lease timetolive command needs lease ID as argument')
    const id = parseLeaseId(args[0])
    if ('error' in id) throw exitWithError(ExitCode.BadArgs, id.error)
    const client = await this.connect(g)
    const res = await timeToLive(client, id.id, flags.keys).catch((err) => {
      throw err instanceof ClientError ? exitWithError(ExitCode.BadConnection, err.message) : err
    })
    this.emit(printer.timeToLive(res, flags.keys))
  }
}
