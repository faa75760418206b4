import { Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { userAdd } from '../../client/auth.js'
import { newUserPassword } from '../../cli/password.js'

export default class UserAdd extends ClientCommand {
  static override summary = 'Adds a new user'
  static override usage = 'user add <user name or user:password> [options]'
  static override examples = [
    '<%= config.bin %> user add alice',
    '<%= config.bin %> user add alice:secret',
    'echo secret | <%= config.bin %> user add alice --interactive=false',
  ]
  static override strict = false
  static override flags = {
    interactive: Flags.boolean({
      description: 'Read password from stdin instead of interactive terminal',
      default: true,
      allowNo: true,
    }),
    'new-user-password': Flags.string({ description: 'Supply password from the command line flag' }),
    'no-password': Flags.boolean({ description: 'Create a user without password (CN based auth only)' }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(UserAdd)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'user add command requires user name as its argument')
    let user = args[0]
    let password = ''
    if (!flags['no-password']) {
      if (flags['new-user-password']) password = flags['new-user-password']
      else {
        const colon = args[0].indexOf(':')
        if (colon < 0) password = newUserPassword(args[0], flags.interactive)
        else {
          user = args[0].slice(0, colon)
          password = args[0].slice(colon + 1)
          if (user.length === 0) throw exitWithError(ExitCode.BadArgs, 'empty user name is not allowed')
        }
      }
    }
    const res = await userAdd(await this.connect(g), user, password, !!flags['no-password'])
    this.emit(printer.userAdd(user, res))
  }
}
