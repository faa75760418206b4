import { Args } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { ClientError } from '../../client/client.js'
import { grant } from '../../client/lease.js'
import { parseTTL } from '../../ctl/lease-args.js'

export default class LeaseGrant extends ClientCommand {
  static override summary = 'Creates leases'
  static override usage = 'lease grant <ttl>'
  static override examples = [
    '<%= config.bin %> lease grant 60',
    "<%= config.bin %> put --lease=$(<%= config.bin %> lease grant 60 | cut -d' ' -f2) foo bar",
  ]
  static override strict = false
  static override args = { ttl: Args.string({ ignoreStdin: true }) }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(LeaseGrant)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'lease grant command needs TTL argument')
    const ttl = parseTTL(args[0])
    if ('error' in ttl) throw exitWithError(ExitCode.BadArgs, ttl.error)
    const client = await this.connect(g)
    const res = await grant(client, ttl.ttl, this.commandTimeout(g)).catch((err) => {
      throw err instanceof ClientError ? exitWithError(ExitCode.Error, `failed to grant lease (${err.message})`) : err
    })
    this.emit(printer.grant(res))
  }
}
