import { userList } from '../../client/auth.js'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'

export default class UserList extends ClientCommand {
  static override summary = 'Lists all users'
  static override usage = 'user list'
  static override examples = ['<%= config.bin %> user list']
  static override strict = false

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(UserList)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 0) throw exitWithError(ExitCode.BadArgs, 'user list command requires no arguments')
    this.emit(printer.userList(await userList(await this.connect(g))))
  }
}
