import { Args, Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../cli/base.js'
import { readStdin } from '../cli/stdin.js'
import { printerFor } from '../cli/printer.js'
import { KVService } from '../gen/etcdserverpb.js'
import { parseLeaseHex, putRequest } from '../client/kv-ops.js'

export default class Put extends ClientCommand {
  static override summary = 'Puts the given key into the store'
  static override usage = 'put [options] <key> <value> (<value> can also be given from stdin)'
  static override examples = [
    '<%= config.bin %> put foo bar',
    '<%= config.bin %> put foo bar --lease=1234abcd',
    '<%= config.bin %> put foo bar1 --prev-kv',
    '<%= config.bin %> put foo --ignore-value',
    "echo 'value from stdin' | <%= config.bin %> put foo",
  ]
  static override strict = false
  static override args = { key: Args.string({ ignoreStdin: true }), value: Args.string({ ignoreStdin: true }) }
  static override flags = {
    lease: Flags.string({ description: 'lease ID (in hexadecimal) to attach to the key', default: '0' }),
    'prev-kv': Flags.boolean({ description: 'return the previous key-value pair before modification' }),
    'ignore-value': Flags.boolean({ description: 'updates the key using its current value' }),
    'ignore-lease': Flags.boolean({ description: 'updates the key using its current lease' }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Put)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length === 0)
      throw exitWithError(ExitCode.BadArgs, 'put command needs 1 argument and input from stdin or 2 arguments')
    if (flags['ignore-value'] && args.length > 1)
      throw exitWithError(ExitCode.BadArgs, "put command needs only 1 argument when 'ignore-value' is set")
    let value: Buffer = Buffer.alloc(0)
    if (!flags['ignore-value']) {
      if (args.length > 1) value = Buffer.from(args[1])
      else {
        const input = await readStdin()
        if (input === undefined)
          throw exitWithError(ExitCode.BadArgs, 'put command needs 1 argument and input from stdin or 2 arguments')
        value = input
      }
    }
    const lease = parseLeaseHex(flags.lease)
    if (lease === undefined)
      throw exitWithError(
        ExitCode.BadArgs,
        `bad lease ID (strconv.ParseInt: parsing "${flags.lease}": invalid syntax), expecting ID in Hex`,
      )
    const client = await this.connect(g)
    const req = putRequest(args[0], value, {
      lease,
      prevKv: flags['prev-kv'],
      ignoreValue: flags['ignore-value'],
      ignoreLease: flags['ignore-lease'],
    })
    const res = await client.call(KVService.Put, req, this.commandTimeout(g))
    this.emit(printer.put(res))
  }
}
