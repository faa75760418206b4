import { Args, Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { ClusterService } from '../../gen/etcdserverpb.js'
import { checkPeerUrls } from '../../ctl/member-args.js'

export default class MemberAdd extends ClientCommand {
  static override summary = 'Adds a member into the cluster'
  static override usage = 'member add <memberName> [options]'
  static override examples = [
    '<%= config.bin %> member add etcd4 --peer-urls=http://10.0.0.4:2380',
    '<%= config.bin %> member add etcd4 --peer-urls=http://10.0.0.4:2380 --learner',
  ]
  static override strict = false
  static override args = { memberName: Args.string({ ignoreStdin: true }) }
  static override flags = {
    'peer-urls': Flags.string({ description: 'comma separated peer URLs for the new member.', default: '' }),
    learner: Flags.boolean({ description: 'indicates if the new member is raft learner' }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(MemberAdd)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length < 1) throw exitWithError(ExitCode.BadArgs, 'member name not provided')
    if (args.length > 1) {
      let ev = 'too many arguments'
      for (const s of args) if (s.toLowerCase().startsWith('http')) ev += `, did you mean --peer-urls=${s}`
      throw exitWithError(ExitCode.BadArgs, ev)
    }
    if (flags['peer-urls'] === '') throw exitWithError(ExitCode.BadArgs, 'member peer urls not provided')
    const urls = checkPeerUrls(flags['peer-urls'])
    if ('error' in urls) throw exitWithError(ExitCode.Error, urls.error)
    const client = await this.connect(g)
    const res = await client.call(
      ClusterService.MemberAdd,
      { peerURLs: urls.urls, isLearner: flags.learner },
      this.commandTimeout(g),
    )
    this.emit(printer.memberAdd(res, args[0], flags['peer-urls']))
  }
}
