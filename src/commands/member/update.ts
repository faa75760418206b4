import { Args, Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../../cli/base.js'
import { printerFor } from '../../cli/printer.js'
import { ClusterService } from '../../gen/etcdserverpb.js'
import { checkPeerUrls, memberIdArgument } from '../../ctl/member-args.js'

export default class MemberUpdate extends ClientCommand {
  static override summary = 'Updates a member in the cluster'
  static override usage = 'member update <memberID> [options]'
  static override examples = ['<%= config.bin %> member update 8e9e05c52164694d --peer-urls=http://10.0.0.5:2380']
  static override strict = false
  static override args = { memberID: Args.string({ ignoreStdin: true }) }
  static override flags = {
    'peer-urls': Flags.string({ description: 'comma separated peer URLs for the updated member.', default: '' }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(MemberUpdate)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    const id = memberIdArgument(args)
    if (flags['peer-urls'] === '') throw exitWithError(ExitCode.BadArgs, 'member peer urls not provided')
    const urls = checkPeerUrls(flags['peer-urls'])
    if ('error' in urls) throw exitWithError(ExitCode.Error, urls.error)
    const client = await this.connect(g)
    const res = await client.call(ClusterService.MemberUpdate, { ID: id, peerURLs: urls.urls }, this.commandTimeout(g))
    this.emit(printer.memberUpdate(id, res))
  }
}
