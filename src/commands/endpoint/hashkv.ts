import { Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { endpointHashKV } from '../../client/endpoints.js'
import { endpointHashKVFailedMessage } from '../../output/messages.js'
import type { EndpointHashKV } from '../../output/rows.js'
import { parseIntFlag } from '../get.js'

export default class EndpointHashKVCommand extends ClientCommand {
  static override summary = 'Prints the KV history hash for each endpoint in --endpoints'
  static override usage = 'endpoint hashkv [flags]'
  static override examples = [
    '<%= config.bin %> endpoint hashkv',
    '<%= config.bin %> endpoint hashkv --cluster -w table',
    '<%= config.bin %> endpoint hashkv --rev 1234',
  ]
  static override flags = {
    cluster: Flags.boolean({ description: 'use all endpoints from the cluster member list' }),
    rev: Flags.string({ description: 'maximum revision to hash (default: all revisions)', default: '0' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(EndpointHashKVCommand)
    const g = flags as unknown as GlobalFlags
    const rev = parseIntFlag('rev', flags.rev)
    const printer = printerFor(g)
    const timeout = this.commandTimeout(g)
    // As etcdctl: a client for --endpoints first (a dial failure ends the command here).
    await this.connect(g)
    const endpoints = await this.targetEndpoints(g, flags.cluster)
    const list: EndpointHashKV[] = []
    let lastError: string | undefined
    for (const ep of endpoints) {
      try {
        const c = await this.connectTo(g, [ep])
        try {
          list.push({ endpoint: ep, hashKV: await endpointHashKV(c, rev, timeout) })
        } finally {
          c.close()
        }
      } catch (err) {
        lastError = (err as Error).message
        process.stderr.write(endpointHashKVFailedMessage(ep, lastError))
      }
    }
    this.emit(printer.endpointHashKV(list))
    if (lastError !== undefined) throw exitWithError(ExitCode.Error, lastError)
  }
}
