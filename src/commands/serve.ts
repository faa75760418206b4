import { Command } from '@oclif/core'
import { runServe } from '../server/embed/serve.js'

export default class Serve extends Command {
  static override summary = "Run a tsetcd member (takes etcd's flags, ETCD_* variables and --config-file)"
  static override examples = [
    '<%= config.bin %> serve --name infra1 --data-dir /var/lib/etcd --listen-client-urls http://10.0.0.1:2379 --advertise-client-urls http://10.0.0.1:2379 --listen-peer-urls http://10.0.0.1:2380 --initial-advertise-peer-urls http://10.0.0.1:2380 --initial-cluster infra1=http://10.0.0.1:2380',
    '<%= config.bin %> serve --config-file etcd1_conf.yml',
  ]
  static override strict = false
  // etcd's flags are parsed with Go's flag syntax by src/server/config, not by oclif.
  static override flags = {}

  async run(): Promise<void> {
    await runServe(this.argv)
  }
}
