import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { AlarmRequest_AlarmAction, AlarmType, MaintenanceService } from '../../gen/etcdserverpb.js'

export default class AlarmList extends ClientCommand {
  static override summary = 'Lists all alarms'
  static override usage = 'alarm list [flags]'
  static override examples = ['<%= config.bin %> alarm list', '<%= config.bin %> alarm list -w json']
  static override strict = false

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(AlarmList)
    const g = flags as unknown as GlobalFlags
    if ((argv as string[]).length !== 0)
      throw exitWithError(ExitCode.BadArgs, 'alarm list command accepts no arguments')
    const printer = printerFor(g)
    const client = await this.connect(g)
    const res = await client.call(
      MaintenanceService.Alarm,
      { action: AlarmRequest_AlarmAction.GET, memberID: 0n, alarm: AlarmType.NONE },
      this.commandTimeout(g),
    )
    this.emit(printer.alarm(res))
  }
}
