import { Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { roleGet, userGet } from '../../client/auth.js'

export default class UserGet extends ClientCommand {
  static override summary = 'Gets detailed information of a user'
  static override usage = 'user get <user name> [options]'
  static override examples = ['<%= config.bin %> user get alice', '<%= config.bin %> user get alice --detail']
  static override strict = false
  static override flags = {
    detail: Flags.boolean({ description: 'Show permissions of roles granted to the user' }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(UserGet)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'user get command requires user name as its argument')
    const name = args[0]
    const client = await this.connect(g)
    const res = await userGet(client, name)
    if (!flags.detail) {
      this.emit(printer.userGet(name, res))
      return
    }
    process.stdout.write(`User: ${name}\n`)
    for (const role of res.roles) {
      process.stdout.write('\n')
      this.emit(printer.roleGet(role, await roleGet(client, role)))
    }
  }
}
