import { Args, Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../cli/base.js'
import { printerFor } from '../cli/printer.js'
import { Redialing, Session } from '../client/concurrency.js'
import { KVService } from '../gen/etcdserverpb.js'
import { interrupted } from './lock.js'

export default class Elect extends ClientCommand {
  static override summary = 'Observes and participates in leader election'
  static override usage = 'elect <election-name> [proposal]'
  static override description =
    'With a proposal, campaigns in the election and, once elected, prints the leader key and holds leadership until interrupted (SIGINT, SIGTERM), then resigns. With -l, prints every leader proclamation in order.'
  static override examples = ['<%= config.bin %> elect myelection candidate1', '<%= config.bin %> elect -l myelection']
  static override strict = false
  static override args = {
    name: Args.string({ ignoreStdin: true }),
    proposal: Args.string({ ignoreStdin: true }),
  }
  static override flags = {
    listen: Flags.boolean({ char: 'l', description: 'observation mode' }),
  }

  private conn?: Redialing

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Elect)
    const args = argv as string[]
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if (args.length !== 1 && args.length !== 2)
      throw exitWithError(ExitCode.BadArgs, 'elect takes one election name argument and an optional proposal argument')
    if (args.length === 1 && !flags.listen) throw exitWithError(ExitCode.BadArgs, 'no proposal argument but -l not set')
    if (args.length === 2 && flags.listen) throw exitWithError(ExitCode.BadArgs, 'proposal given but -l is set')
    const name = Buffer.from(args[0]).toString('latin1')
    const client = await this.connect(g)
    const endpoints = g.endpoints
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const conn = new Redialing(client, () => this.connectTo(g, endpoints))
    this.conn = conn
    const fail = (err: Error) => {
      throw exitWithError(ExitCode.Error, err.message)
    }
    const session = await Session.create(conn).catch(fail)
    const e = session.election(name)
    const sig = interrupted()
    try {
      if (args.length === 1) {
        for await (const r of e.observe(sig.signal)) {
          this.emit(printer.get({ header: r.header, kvs: [r.kv], more: false, count: 0 }))
        }
        if (!sig.signal.aborted) throw exitWithError(ExitCode.Error, 'elect: observer lost')
        return
      }
      await e.campaign(Buffer.from(args[1]), sig.signal).catch(fail)
      const resp = await conn.call(KVService.Range, { key: Buffer.from(e.key, 'latin1') }, sig.signal).catch(fail)
      this.emit(printer.get(resp))
      const outcome = await Promise.race([sig.promise.then(() => 'signal'), session.done.then(() => 'expired')])
      if (outcome === 'expired') throw exitWithError(ExitCode.Error, 'elect: session expired')
      await e.resign().catch(fail)
    } finally {
      sig.dispose()
    }
  }

  override async finally(err: Error | undefined): Promise<unknown> {
    this.conn?.close()
    const r = await super.finally(err)
    process.exit(process.exitCode ?? 0)
    return r
  }
}
