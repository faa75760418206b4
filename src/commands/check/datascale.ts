import { ClientCommand, ExitCode, type GlobalFlags } from '../../cli/base.js'
import type { EtcdClient } from '../../client/client.js'
import { DATASCALE_LOADS, ProgressBar, Report, randomKey, residentMemory, runPuts } from '../../ctl/check.js'
import { checkLoad, cleanUp, requireEmptyPrefix } from '../../ctl/check-run.js'
import { checkFlags } from '../../cli/check-flags.js'

export default class CheckDatascale extends ClientCommand {
  static override summary = 'Check the memory usage of holding data for different workloads on a given server endpoint.'
  static override usage = 'check datascale [options]'
  static override description =
    'If no endpoint is provided, localhost will be used. If multiple endpoints are provided, first endpoint will be used.'
  static override examples = ['<%= config.bin %> check datascale --load s --auto-compact --auto-defrag']
  static override flags = checkFlags('datascale', '/etcdctl-check-datascale/')

  private clients: EtcdClient[] = []

  async run(): Promise<void> {
    const { flags } = await this.parse(CheckDatascale)
    const g = flags as unknown as GlobalFlags
    const cfg = checkLoad(DATASCALE_LOADS, flags.load)
    const out = (t: string) => process.stdout.write(t)
    for (let i = 0; i < cfg.clients; i++) this.clients.push(await this.connect(g))
    const endpoints = g.endpoints
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)
    const c0 = this.clients[0]
    await requireEmptyPrefix(c0, flags.prefix, 2 ** 31 - 1)

    const before = await residentMemory(endpoints[0], (l) => out(l + '\n'))
    if (before === 0) {
      out('FAIL: Could not read process_resident_memory_bytes before the put operations.\n')
      process.exitCode = ExitCode.Error
      return
    }
    out(
      `Start data scale check for work load [${cfg.limit} key-value pairs, ${cfg.kvSize} bytes per key-value, ${cfg.clients} concurrent clients].\n`,
    )
    const bar = new ProgressBar(cfg.limit, out)
    const report = new Report()
    const value = Buffer.alloc(512)
    let sent = 0
    await runPuts(
      this.clients,
      async () => (sent++ < cfg.limit ? { key: randomKey(flags.prefix, 512), value } : undefined),
      report,
      () => bar.add(1),
    )
    bar.finish()
    const s = report.stats()
    const after = await residentMemory(endpoints[0], (l) => out(l + '\n'))
    if (after === 0) {
      out('FAIL: Could not read process_resident_memory_bytes after the put operations.\n')
      process.exitCode = ExitCode.Error
      return
    }
    await cleanUp(
      c0,
      flags.prefix,
      endpoints,
      {
        autoCompact: flags['auto-compact'],
        autoDefrag: flags['auto-defrag'],
        defrag: (ep) => this.defragEndpoint(g, ep),
      },
      { out },
    )
    const mb = (after - before) / (1024 * 1024)
    if (s.errors.size !== 0) {
      out('FAIL: too many errors\n')
      for (const [k, v] of s.errors) out(`FAIL: ERROR(${k}) -> ${v}\n`)
      process.exitCode = ExitCode.Error
      return
    }
    out(`PASS: Approximate system memory used : ${mb.toFixed(2)} MB.\n`)
  }

  override async finally(err: Error | undefined): Promise<unknown> {
    for (const c of this.clients) c.close()
    const r = await super.finally(err)
    process.exit(process.exitCode ?? 0)
    return r
  }
}
