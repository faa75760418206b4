import { Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { roleGrantPermission } from '../../client/auth.js'
import { permRange, permissionType } from '../../ctl/auth-args.js'

export default class RoleGrantPermission extends ClientCommand {
  static override summary = 'Grants a key to a role'
  static override usage = 'role grant-permission [options] <role name> <permission type> <key> [endkey]'
  static override examples = [
    '<%= config.bin %> role grant-permission app readwrite /app/ --prefix',
    '<%= config.bin %> role grant-permission app read /a /c',
  ]
  static override strict = false
  static override flags = {
    prefix: Flags.boolean({ description: 'grant a prefix permission' }),
    'from-key': Flags.boolean({
      description: 'grant a permission of keys that are greater than or equal to the given key using byte compare',
    }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RoleGrantPermission)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length < 3)
      throw exitWithError(
        ExitCode.BadArgs,
        'role grant command requires role name, permission type, and key [endkey] as its argument',
      )
    const perm = permissionType(args[1])
    if ('error' in perm) throw exitWithError(ExitCode.BadArgs, perm.error)
    const range = permRange(args.slice(2), flags.prefix, flags['from-key'])
    if ('error' in range) throw exitWithError(ExitCode.BadArgs, range.error)
    const res = await roleGrantPermission(await this.connect(g), args[0], range.key, range.end, perm.perm)
    this.emit(printer.roleGrantPermission(args[0], res))
  }
}
