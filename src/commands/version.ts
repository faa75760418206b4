import { ClientCommand } from '../cli/base.js'
import { API_VERSION, ETCD_VERSION } from '../version.js'

/** Takes etcdctl's global flags, as every etcdctl command does, and uses none. */
export default class Version extends ClientCommand {
  static override summary = 'Prints the version of etcdctl'
  static override examples = ['<%= config.bin %> version']

  async run(): Promise<void> {
    await this.parse(Version)
    process.stdout.write(`etcdctl version: ${ETCD_VERSION}\nAPI version: ${API_VERSION}\n`)
  }
}
