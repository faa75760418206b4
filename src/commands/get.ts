import { Args, Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../cli/base.js'
import { printerFor } from '../cli/printer.js'
import { KVService } from '../gen/etcdserverpb.js'
import { rangeRequest, SortOrder, SortTarget } from '../client/kv-ops.js'

const ORDERS: Record<string, number> = { ASCEND: SortOrder.ASCEND, DESCEND: SortOrder.DESCEND, '': SortOrder.NONE }
const TARGETS: Record<string, number> = {
  CREATE: SortTarget.CREATE,
  KEY: SortTarget.KEY,
  MODIFY: SortTarget.MOD,
  VALUE: SortTarget.VALUE,
  VERSION: SortTarget.VERSION,
  '': SortTarget.KEY,
}

export default class Get extends ClientCommand {
  static override summary = 'Gets the key or a range of keys'
  static override usage = 'get [options] <key> [range_end]'
  static override examples = [
    '<%= config.bin %> get foo',
    '<%= config.bin %> get foo foo3',
    '<%= config.bin %> get --prefix foo',
    '<%= config.bin %> get --from-key b',
    "<%= config.bin %> get --prefix --keys-only ''",
    '<%= config.bin %> get foo --rev=4 -w json',
    '<%= config.bin %> get foo --print-value-only',
  ]
  static override strict = false
  static override args = { key: Args.string({ ignoreStdin: true }), range_end: Args.string({ ignoreStdin: true }) }
  static override flags = {
    consistency: Flags.string({ description: 'Linearizable(l) or Serializable(s)', default: 'l' }),
    order: Flags.string({ description: 'Order of results; ASCEND or DESCEND (ASCEND by default)', default: '' }),
    'sort-by': Flags.string({ description: 'Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION', default: '' }),
    limit: Flags.string({ description: 'Maximum number of results', default: '0' }),
    prefix: Flags.boolean({ description: 'Get keys with matching prefix' }),
    'from-key': Flags.boolean({
      description: 'Get keys that are greater than or equal to the given key using byte compare',
    }),
    rev: Flags.string({ description: 'Specify the kv revision', default: '0' }),
    'keys-only': Flags.boolean({ description: 'Get only the keys' }),
    'count-only': Flags.boolean({ description: 'Get only the count' }),
    'print-value-only': Flags.boolean({ description: 'Only write values when using the "simple" output format' }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Get)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    const limit = parseIntFlag('limit', flags.limit)
    const rev = parseIntFlag('rev', flags.rev)
    if (args.length === 0)
      throw exitWithError(
        ExitCode.BadArgs,
        'get command needs one argument as key and an optional argument as range_end',
      )
    if (flags.prefix && flags['from-key'])
      throw exitWithError(ExitCode.BadArgs, '`--prefix` and `--from-key` cannot be set at the same time, choose one')
    if (flags['count-only'] && g['write-out'] !== 'fields')
      throw exitWithError(ExitCode.BadArgs, '--count-only is only for `--write-out=fields`')
    if (flags['keys-only'] && flags['count-only'])
      throw exitWithError(
        ExitCode.InvalidInput,
        '`--keys-only` and `--count-only` cannot be set at the same time, choose one',
      )
    let serializable = false
    if (flags.consistency === 's') serializable = true
    else if (flags.consistency !== 'l')
      throw exitWithError(ExitCode.BadFeature, `unknown consistency flag "${flags.consistency}"`)
    if (args.length > 1 && (flags.prefix || flags['from-key']))
      throw exitWithError(
        ExitCode.BadArgs,
        'too many arguments, only accept one argument when `--prefix` or `--from-key` is set',
      )
    const order = ORDERS[flags.order.toUpperCase()]
    if (order === undefined) throw exitWithError(ExitCode.BadFeature, `bad sort order ${flags.order}`)
    const target = TARGETS[flags['sort-by'].toUpperCase()]
    if (target === undefined) throw exitWithError(ExitCode.BadFeature, `bad sort target ${flags['sort-by']}`)

    const client = await this.connect(g)
    const req = rangeRequest(args[0], {
      rangeEnd: args.length > 1 ? args[1] : undefined,
      prefix: flags.prefix,
      fromKey: flags['from-key'],
      limit,
      rev: rev > 0 ? rev : 0,
      sortOrder: order,
      sortTarget: target,
      serializable,
      keysOnly: flags['keys-only'],
      countOnly: flags['count-only'],
    })
    const res = await client.call(KVService.Range, req, this.commandTimeout(g), true)
    this.emit(printer.get(res, { valueOnly: flags['print-value-only'] }))
  }
}

/** pflag's int64 parsing, with its error text. */
export function parseIntFlag(name: string, text: string): number {
  if (!/^[+-]?\d+$/.test(text))
    throw exitWithError(
      ExitCode.Error,
      `invalid argument "${text}" for "--${name}" flag: strconv.ParseInt: parsing "${text}": invalid syntax`,
    )
  return Number(text)
}
