import { userRevokeRole } from '../../client/auth.js'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'

export default class UserRevokeRole extends ClientCommand {
  static override summary = 'Revokes a role from a user'
  static override usage = 'user revoke-role <user name> <role name>'
  static override examples = ['<%= config.bin %> user revoke-role alice app']
  static override strict = false

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(UserRevokeRole)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 2)
      throw exitWithError(ExitCode.BadArgs, 'user revoke-role requires user name and role name as its argument')
    const res = await userRevokeRole(await this.connect(g), args[0], args[1])
    this.emit(printer.userRevokeRole(args[0], args[1], res))
  }
}
