import { Flags } from '@oclif/core'
import { ClientCommand, EtcdctlExit, ExitCode, exitWithError, type GlobalFlags } from '../cli/base.js'
import { ClientError, type EtcdClient } from '../client/client.js'
import { WatchSession } from '../client/watch.js'
import { makeMirror, MirrorArgsError } from '../ctl/make-mirror.js'

/** etcdctl prints the running count of mirrored keys and events this often. */
const COUNT_EVERY_MS = 30_000

export default class MakeMirror extends ClientCommand {
  static override summary = 'Makes a mirror at the destination etcd cluster'
  static override usage = 'make-mirror [options] <destination>'
  static override description =
    'Copies the keys under --prefix as of the current revision to the destination, then applies every later change (one txn per source revision) until interrupted. Every 30 seconds the number of keys and events mirrored so far is printed. A new run starts over from the current state of the source.'
  static override examples = [
    '<%= config.bin %> make-mirror --endpoints 127.0.0.1:2379 127.0.0.1:22379',
    '<%= config.bin %> make-mirror --prefix /app/ --dest-prefix /backup/app/ 10.0.0.2:2379',
  ]
  static override strict = false
  static override flags = {
    prefix: Flags.string({ description: 'Key-value prefix to mirror', default: '' }),
    'dest-prefix': Flags.string({
      description: 'destination prefix to mirror a prefix to a different prefix in the destination cluster',
      default: '',
    }),
    'no-dest-prefix': Flags.boolean({ description: 'mirror key-values to the root of the destination cluster' }),
    'dest-cert': Flags.string({
      description: 'Identify secure client using this TLS certificate file for the destination cluster',
    }),
    'dest-key': Flags.string({ description: 'Identify secure client using this TLS key file' }),
    'dest-cacert': Flags.string({
      description: 'Verify certificates of TLS enabled secure servers using this CA bundle',
    }),
    'dest-insecure-transport': Flags.boolean({
      description: 'Disable transport security for client connections',
      default: true,
      allowNo: true,
    }),
    'dest-user': Flags.string({
      description: 'Destination username[:password] for authentication (prompt if password is not supplied)',
    }),
    'dest-password': Flags.string({
      description:
        "Destination password for authentication (if this option is used, --dest-user option shouldn't include password)",
    }),
  }

  private sessions: WatchSession[] = []

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(MakeMirror)
    const g = flags as unknown as GlobalFlags
    if (argv.length !== 1) throw exitWithError(ExitCode.BadArgs, 'make-mirror takes one destination argument')
    const destFlags: GlobalFlags = {
      ...g,
      endpoints: String(argv[0]),
      cacert: flags['dest-cacert'],
      cert: flags['dest-cert'],
      key: flags['dest-key'],
      'insecure-transport': flags['dest-insecure-transport'],
      'insecure-skip-tls-verify': false,
      user: flags['dest-user'],
      password: flags['dest-password'],
    }
    const dst = await this.dial(() => this.connectTo(destFlags, [String(argv[0])]))
    const src = await this.dial(() => this.connect(g))
    const watches = WatchSession.open(src, () => this.connect(g))
    this.sessions.push(watches)

    let total = 0
    const ticker = setInterval(() => process.stdout.write(`${total}\n`), COUNT_EVERY_MS)
    try {
      await makeMirror(
        src,
        watches,
        dst,
        { prefix: flags.prefix, destPrefix: flags['dest-prefix'], noDestPrefix: flags['no-dest-prefix'] },
        { counted: () => total++ },
      )
      throw exitWithError(ExitCode.Error, '<nil>')
    } catch (err) {
      if (err instanceof MirrorArgsError) throw exitWithError(ExitCode.BadArgs, err.message)
      if (err instanceof EtcdctlExit || !(err instanceof Error)) throw err
      throw exitWithError(ExitCode.Error, err.message)
    } finally {
      clearInterval(ticker)
      dst.close()
    }
  }

  private async dial(connect: () => Promise<EtcdClient>): Promise<EtcdClient> {
    return connect().catch((err: unknown) => {
      throw err instanceof ClientError ? exitWithError(ExitCode.BadConnection, err.message) : err
    })
  }

  override async finally(err: Error | undefined): Promise<unknown> {
    for (const s of this.sessions) s.close()
    const r = await super.finally(err)
    process.exit(process.exitCode ?? 0)
    return r
  }
}
