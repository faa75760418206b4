import { Args } from '@oclif/core'
import { ClientCommand, type GlobalFlags } from '../cli/base.js'
import { printerFor } from '../cli/printer.js'
import { moveLeader, moveLeaderTarget } from '../ctl/move-leader.js'

export default class MoveLeader extends ClientCommand {
  static override summary = 'Transfers leadership to another etcd cluster member.'
  static override usage = 'move-leader <transferee-member-id>'
  static override examples = [
    '<%= config.bin %> --endpoints=10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379 move-leader 8e9e05c52164694d',
  ]
  static override strict = false
  static override args = { 'transferee-member-id': Args.string({ ignoreStdin: true }) }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(MoveLeader)
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    const target = moveLeaderTarget(argv as string[])
    // As etcdctl: a client for every endpoint first (a dial failure ends the command here).
    const endpoints = g.endpoints
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    ;(await this.connectTo(g, endpoints)).close()
    const r = await moveLeader(endpoints, (ep) => this.connectTo(g, [ep]), target, this.commandTimeout(g))
    this.emit(printer.moveLeader(r.leader, r.target, r.response))
  }
}
