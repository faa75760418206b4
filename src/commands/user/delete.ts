import { userDelete } from '../../client/auth.js'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'

export default class UserDelete extends ClientCommand {
  static override summary = 'Deletes a user'
  static override usage = 'user delete <user name>'
  static override examples = ['<%= config.bin %> user delete alice']
  static override strict = false

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(UserDelete)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 1)
      throw exitWithError(ExitCode.BadArgs, 'user delete command requires user name as its argument')
    const res = await userDelete(await this.connect(g), args[0])
    this.emit(printer.userDelete(args[0], res))
  }
}
