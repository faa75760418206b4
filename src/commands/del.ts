import { Args, Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../cli/base.js'
import { printerFor } from '../cli/printer.js'
import { KVService } from '../gen/etcdserverpb.js'
import { deleteRequest } from '../client/kv-ops.js'

export default class Del extends ClientCommand {
  static override summary = 'Removes the specified key or range of keys [key, range_end)'
  static override usage = 'del [options] <key> [range_end]'
  static override examples = [
    '<%= config.bin %> del foo',
    '<%= config.bin %> del foo foo9',
    '<%= config.bin %> del --prev-kv zoo',
    '<%= config.bin %> del --prefix zoo',
    '<%= config.bin %> del --from-key b',
  ]
  static override strict = false
  static override args = { key: Args.string({ ignoreStdin: true }), range_end: Args.string({ ignoreStdin: true }) }
  static override flags = {
    prefix: Flags.boolean({ description: 'delete keys with matching prefix' }),
    'prev-kv': Flags.boolean({ description: 'return deleted key-value pairs' }),
    'from-key': Flags.boolean({
      description: 'delete keys that are greater than or equal to the given key using byte compare',
    }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Del)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length === 0 || args.length > 2)
      throw exitWithError(
        ExitCode.BadArgs,
        'del command needs one argument as key and an optional argument as range_end',
      )
    if (flags.prefix && flags['from-key'])
      throw exitWithError(ExitCode.BadArgs, '`--prefix` and `--from-key` cannot be set at the same time, choose one')
    if (args.length > 1 && (flags.prefix || flags['from-key']))
      throw exitWithError(
        ExitCode.BadArgs,
        'too many arguments, only accept one argument when `--prefix` or `--from-key` is set',
      )
    const client = await this.connect(g)
    const req = deleteRequest(args[0], {
      rangeEnd: args[1],
      prefix: flags.prefix,
      fromKey: flags['from-key'],
      prevKv: flags['prev-kv'],
    })
    const res = await client.call(KVService.DeleteRange, req, this.commandTimeout(g))
    this.emit(printer.del(res))
  }
}
