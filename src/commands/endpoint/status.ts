import { Flags } from '@oclif/core'
import { ClientCommand, ExitCode, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { endpointStatus } from '../../client/endpoints.js'
import type { EndpointStatus } from '../../output/rows.js'

export default class EndpointStatusCommand extends ClientCommand {
  static override summary = 'Prints out the status of endpoints specified in `--endpoints` flag'
  static override usage = 'endpoint status [flags]'
  static override examples = [
    '<%= config.bin %> endpoint status',
    '<%= config.bin %> endpoint status --cluster -w table',
    '<%= config.bin %> --endpoints=10.0.0.1:2379,10.0.0.2:2379 endpoint status -w json',
  ]
  static override flags = {
    cluster: Flags.boolean({ description: 'use all endpoints from the cluster member list' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(EndpointStatusCommand)
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    const timeout = this.commandTimeout(g)
    const endpoints = await this.targetEndpoints(g, flags.cluster)
    const list: EndpointStatus[] = []
    let failed = false
    for (const ep of endpoints) {
      try {
        const c = await this.connectTo(g, [ep])
        try {
          list.push({ endpoint: ep, status: await endpointStatus(c, timeout) })
        } finally {
          c.close()
        }
      } catch (err) {
        failed = true
        process.stderr.write(`Failed to get the status of endpoint ${ep} (${(err as Error).message})\n`)
      }
    }
    this.emit(printer.endpointStatus(list))
    if (failed) process.exitCode = ExitCode.Error
  }
}
