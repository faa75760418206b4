import { Args, Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { durationFlag } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { ClientError } from '../../client/client.js'
import { keepAliveOnce } from '../../client/lease.js'
import { parseLeaseId } from '../../ctl/lease-args.js'
import { keepAlive } from '../../client/lease-keepalive.js'
import { leaseExpiredMessage } from '../../output/messages.js'

export default class LeaseKeepAlive extends ClientCommand {
  static override summary = 'Keeps leases alive (renew)'
  static override usage = 'lease keep-alive [options] <leaseID>'
  static override examples = [
    '<%= config.bin %> lease keep-alive 32695410dcc0ca06',
    '<%= config.bin %> lease keep-alive --once 32695410dcc0ca06',
  ]
  static override strict = false
  static override args = { leaseID: Args.string({ ignoreStdin: true }) }
  static override flags = {
    once: Flags.boolean({ description: 'Resets the keep-alive time to its original value and exits immediately' }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(LeaseKeepAlive)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'lease keep-alive command needs lease ID as argument')
    const id = parseLeaseId(args[0])
    if ('error' in id) throw exitWithError(ExitCode.BadArgs, id.error)
    const client = await this.connect(g)
    if (flags.once) {
      const res = await keepAliveOnce(client, id.id).catch((err) => {
        throw err instanceof ClientError ? exitWithError(ExitCode.BadConnection, err.message) : err
      })
      this.emit(printer.keepAlive(res))
      return
    }
    const firstTimeoutMs = durationFlag('dial-timeout', g['dial-timeout']) + 1000
    await keepAlive(client, id.id, (r) => this.emit(printer.keepAlive(r)), {
      firstTimeoutMs: firstTimeoutMs === 1000 ? 5000 : firstTimeoutMs,
    })
    if (g['write-out'] === 'simple') process.stdout.write(leaseExpiredMessage(id.id))
  }
}
