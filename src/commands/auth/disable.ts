import { authDisable } from '../../client/auth.js'
import { AUTH_DISABLED_MESSAGE } from '../../output/messages.js'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'

export default class AuthDisable extends ClientCommand {
  static override summary = 'Disables authentication'
  static override usage = 'auth disable'
  static override examples = ['<%= config.bin %> --user root auth disable']
  static override strict = false

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(AuthDisable)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    printerFor(g) // an unknown -w fails here, as etcdctl's does before the command runs
    if (args.length !== 0) throw exitWithError(ExitCode.BadArgs, 'auth disable command does not accept any arguments')
    await authDisable(await this.connect(g), this.commandTimeout(g))
    process.stdout.write(AUTH_DISABLED_MESSAGE)
  }
}
