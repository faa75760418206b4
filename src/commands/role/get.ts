import { roleGet } from '../../client/auth.js'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'

export default class RoleGet extends ClientCommand {
  static override summary = 'Gets detailed information of a role'
  static override usage = 'role get <role name>'
  static override examples = ['<%= config.bin %> role get app', '<%= config.bin %> role get app -w json']
  static override strict = false

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RoleGet)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'role get command requires role name as its argument')
    const res = await roleGet(await this.connect(g), args[0])
    this.emit(printer.roleGet(args[0], res))
  }
}
