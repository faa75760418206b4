import { roleList } from '../../client/auth.js'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'

export default class RoleList extends ClientCommand {
  static override summary = 'Lists all roles'
  static override usage = 'role list'
  static override examples = ['<%= config.bin %> role list']
  static override strict = false

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RoleList)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 0) throw exitWithError(ExitCode.BadArgs, 'role list command requires no arguments')
    this.emit(printer.roleList(await roleList(await this.connect(g))))
  }
}
