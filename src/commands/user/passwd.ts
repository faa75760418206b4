import { Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { userChangePassword } from '../../client/auth.js'
import { newUserPassword } from '../../cli/password.js'

export default class UserPasswd extends ClientCommand {
  static override summary = 'Changes password of user'
  static override usage = 'user passwd <user name> [options]'
  static override examples = [
    '<%= config.bin %> user passwd alice',
    'echo newpw | <%= config.bin %> user passwd alice --interactive=false',
  ]
  static override strict = false
  static override flags = {
    interactive: Flags.boolean({
      description: 'If true, read password from stdin instead of interactive terminal',
      default: true,
      allowNo: true,
    }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(UserPasswd)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 1)
      throw exitWithError(ExitCode.BadArgs, 'user passwd command requires user name as its argument')
    const password = newUserPassword(args[0], flags.interactive)
    const res = await userChangePassword(await this.connect(g), args[0], password)
    this.emit(printer.userChangePassword(res))
  }
}
