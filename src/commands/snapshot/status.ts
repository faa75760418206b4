import { Args } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { snapshotFileStatus } from '../../server/backup/status.js'

export default class SnapshotStatus extends ClientCommand {
  static override summary = 'Gets backend snapshot status of a given file'
  static override description = `When --write-out is set to simple, this command prints out comma-separated status lists for each endpoint.
The items in the lists are hash, revision, total keys, total size.`
  static override usage = 'snapshot status <filename>'
  static override examples = [
    '<%= config.bin %> snapshot status backup.db',
    '<%= config.bin %> snapshot status backup.db -w table',
  ]
  static override strict = false
  static override args = { filename: Args.string({ ignoreStdin: true }) }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(SnapshotStatus)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'snapshot status requires exactly one argument')
    const printer = printerFor(g)
    let status
    try {
      status = snapshotFileStatus(args[0])
    } catch (err) {
      throw exitWithError(ExitCode.Error, (err as Error).message)
    }
    this.emit(printer.dbStatus(status))
  }
}
