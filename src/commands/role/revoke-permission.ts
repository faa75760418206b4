import { Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { roleRevokePermission } from '../../client/auth.js'
import { permRange } from '../../ctl/auth-args.js'

export default class RoleRevokePermission extends ClientCommand {
  static override summary = 'Revokes a key from a role'
  static override usage = 'role revoke-permission <role name> <key> [endkey]'
  static override examples = [
    '<%= config.bin %> role revoke-permission app /app/ --prefix',
    '<%= config.bin %> role revoke-permission app /a /c',
  ]
  static override strict = false
  static override flags = {
    prefix: Flags.boolean({ description: 'revoke a prefix permission' }),
    'from-key': Flags.boolean({
      description: 'revoke a permission of keys that are greater than or equal to the given key using byte compare',
    }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RoleRevokePermission)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length < 2)
      throw exitWithError(
        ExitCode.BadArgs,
        'role revoke-permission command requires role name and key [endkey] as its argument',
      )
    const range = permRange(args.slice(1), flags.prefix, flags['from-key'])
    if ('error' in range) throw exitWithError(ExitCode.BadArgs, range.error)
    const res = await roleRevokePermission(await this.connect(g), args[0], range.key, range.end)
    this.emit(printer.roleRevokePermission(args[0], args[1], range.end.toString('utf8'), res))
  }
}
