import { roleAdd } from '../../client/auth.js'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'

export default class RoleAdd extends ClientCommand {
  static override summary = 'Adds a new role'
  static override usage = 'role add <role name>'
  static override examples = ['<%= config.bin %> role add app']
  static override strict = false

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RoleAdd)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'role add command requires role name as its argument')
    const res = await roleAdd(await this.connect(g), args[0])
    this.emit(printer.roleAdd(args[0], res))
  }
}
