import { Flags } from '@oclif/core'
import { ClientCommand, ExitCode, type GlobalFlags } from '../cli/base.js'
import { defragFailedMessage, defragOkMessage } from '../output/messages.js'
import { defragDataDir } from '../server/embed/offline-defrag.js'

export default class Defrag extends ClientCommand {
  static override summary = 'Defragments the storage of the etcd members with given endpoints'
  static override usage = 'defrag [flags]'
  static override examples = [
    '<%= config.bin %> defrag',
    '<%= config.bin %> defrag --cluster',
    '<%= config.bin %> defrag --data-dir /var/lib/etcd',
  ]
  static override flags = {
    cluster: Flags.boolean({ description: 'use all endpoints from the cluster member list' }),
    'data-dir': Flags.string({
      description: 'Optional. If present, defragments a data directory not in use by etcd.',
      default: '',
    }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Defrag)
    const g = flags as unknown as GlobalFlags
    const dataDir = flags['data-dir']
    if (dataDir.length > 0) {
      try {
        await defragDataDir(dataDir)
      } catch (err) {
        process.stderr.write(`Failed to defragment etcd data[${dataDir}] (${(err as Error).message})\n`)
        process.exitCode = ExitCode.Error
      }
      return
    }
    let failures = 0
    for (const ep of await this.targetEndpoints(g, flags.cluster)) {
      try {
        await this.defragEndpoint(g, ep)
        process.stdout.write(defragOkMessage(ep))
      } catch (err) {
        failures++
        process.stderr.write(defragFailedMessage(ep, (err as Error).message))
      }
    }
    if (failures !== 0) process.exitCode = ExitCode.Error
  }
}
