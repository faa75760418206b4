import { roleDelete } from '../../client/auth.js'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'

export default class RoleDelete extends ClientCommand {
  static override summary = 'Deletes a role'
  static override usage = 'role delete <role name>'
  static override examples = ['<%= config.bin %> role delete app']
  static override strict = false

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RoleDelete)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 1)
      throw exitWithError(ExitCode.BadArgs, 'role delete command requires role name as its argument')
    const res = await roleDelete(await this.connect(g), args[0])
    this.emit(printer.roleDelete(args[0], res))
  }
}
