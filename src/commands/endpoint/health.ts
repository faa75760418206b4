import { Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { endpointHealth } from '../../client/endpoints.js'

export default class EndpointHealthCommand extends ClientCommand {
  static override summary = 'Checks the healthiness of endpoints specified in `--endpoints` flag'
  static override usage = 'endpoint health [flags]'
  static override examples = [
    '<%= config.bin %> endpoint health',
    '<%= config.bin %> endpoint health --cluster -w table',
    '<%= config.bin %> --endpoints=10.0.0.1:2379,10.0.0.2:2379 endpoint health',
  ]
  static override flags = {
    cluster: Flags.boolean({ description: 'use all endpoints from the cluster member list' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(EndpointHealthCommand)
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    const timeout = this.commandTimeout(g)
    const endpoints = await this.targetEndpoints(g, flags.cluster)
    const list = await Promise.all(endpoints.map((ep) => endpointHealth(ep, () => this.connectTo(g, [ep]), timeout)))
    this.emit(printer.endpointHealth(list))
    if (list.some((h) => h.error !== undefined)) throw exitWithError(ExitCode.Error, 'unhealthy cluster')
  }
}
