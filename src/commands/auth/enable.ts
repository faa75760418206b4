import { authEnable } from '../../client/auth.js'
import { AUTH_ENABLED_MESSAGE } from '../../output/messages.js'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'

export default class AuthEnable extends ClientCommand {
  static override summary = 'Enables authentication'
  static override usage = 'auth enable'
  static override examples = ['<%= config.bin %> auth enable']
  static override strict = false

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(AuthEnable)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    printerFor(g) // an unknown -w fails here, as etcdctl's does before the command runs
    if (args.length !== 0) throw exitWithError(ExitCode.BadArgs, 'auth enable command does not accept any arguments')
    await authEnable(await this.connect(g), this.commandTimeout(g))
    process.stdout.write(AUTH_ENABLED_MESSAGE)
  }
}
