import { userGrantRole } from '../../client/auth.js'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'

export default class UserGrantRole extends ClientCommand {
  static override summary = 'Grants a role to a user'
  static override usage = 'user grant-role <user name> <role name>'
  static override examples = ['<%= config.bin %> user grant-role alice app']
  static override strict = false

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(UserGrantRole)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 2)
      throw exitWithError(ExitCode.BadArgs, 'user grant command requires user name and role name as its argument')
    const res = await userGrantRole(await this.connect(g), args[0], args[1])
    this.emit(printer.userGrantRole(args[0], args[1], res))
  }
}
