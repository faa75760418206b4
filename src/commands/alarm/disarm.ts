import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { AlarmRequest_AlarmAction, AlarmType, MaintenanceService } from '../../gen/etcdserverpb.js'
import type { AlarmMember } from '../../gen/etcdserverpb.js'

export default class AlarmDisarm extends ClientCommand {
  static override summary = 'Disarms all alarms'
  static override usage = 'alarm disarm [flags]'
  static override examples = ['<%= config.bin %> alarm disarm']
  static override strict = false

  /** As clientv3's AlarmDisarm with no member: lists the alarms, then deactivates each (no header). */
  async run(): Promise<void> {
    const { argv, flags } = await this.parse(AlarmDisarm)
    const g = flags as unknown as GlobalFlags
    if ((argv as string[]).length !== 0)
      throw exitWithError(ExitCode.BadArgs, 'alarm disarm command accepts no arguments')
    const printer = printerFor(g)
    const client = await this.connect(g)
    const timeout = this.commandTimeout(g)
    const listed = await client.call(
      MaintenanceService.Alarm,
      { action: AlarmRequest_AlarmAction.GET, memberID: 0n, alarm: AlarmType.NONE },
      timeout,
    )
    const alarms: AlarmMember[] = []
    for (const a of listed.alarms) {
      const r = await client.call(
        MaintenanceService.Alarm,
        { action: AlarmRequest_AlarmAction.DEACTIVATE, memberID: a.memberID, alarm: a.alarm },
        timeout,
      )
      alarms.push(...r.alarms)
    }
    this.emit(printer.alarm({ alarms }))
  }
}
