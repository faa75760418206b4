import { Command } from '@oclif/core'
import { API_VERSION, ETCD_VERSION } from '../version.js'

export default class Version extends Command {
  static override summary = 'Prints the version of etcdctl'

  async run(): Promise<void> {
    await this.parse(Version)
    process.stdout.write(`etcdctl version: ${ETCD_VERSION}\nAPI version: ${API_VERSION}\n`)
  }
}
