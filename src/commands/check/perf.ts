import { ClientCommand, ExitCode, type GlobalFlags } from '../../cli/base.js'
import type { EtcdClient } from '../../client/client.js'
import { PERF_LOADS, ProgressBar, Report, goFloat, randomKey, runPuts } from '../../ctl/check.js'
import { checkLoad, cleanUp, requireEmptyPrefix } from '../../ctl/check-run.js'
import { checkFlags } from '../../cli/check-flags.js'

export default class CheckPerf extends ClientCommand {
  static override summary = 'Check the performance of the etcd cluster'
  static override usage = 'check perf [options]'
  static override description =
    "Writes 256-byte keys with 1 KiB values at the load's rate from its number of clients for 60 seconds, deletes them, and reports PASS or FAIL for the throughput (more than 90% of the rate), the slowest request (at most 0.5 s) and the standard deviation of latencies (at most 0.1 s). Loads: s (150 writes/s, 50 clients), m (1000, 200), l (8000, 500), xl (15000, 1000)."
  static override examples = [
    '<%= config.bin %> check perf --load s',
    '<%= config.bin %> check perf --load m --auto-compact --auto-defrag',
  ]
  static override flags = checkFlags('performance', '/etcdctl-check-perf/')

  private clients: EtcdClient[] = []

  async run(): Promise<void> {
    const { flags } = await this.parse(CheckPerf)
    const g = flags as unknown as GlobalFlags
    const cfg = checkLoad(PERF_LOADS, flags.load)
    const out = (t: string) => process.stdout.write(t)
    for (let i = 0; i < cfg.clients; i++) this.clients.push(await this.connect(g))
    const c0 = this.clients[0]
    await requireEmptyPrefix(c0, flags.prefix, cfg.duration * 1000)

    const value = Buffer.alloc(1024)
    const bar = new ProgressBar(cfg.duration, out)
    const barTick = setInterval(() => bar.add(1), 1000)
    const report = new Report()
    const start = Date.now()
    const end = start + cfg.duration * 1000
    let sent = 0
    await runPuts(
      this.clients,
      async () => {
        // rate.Limiter(limit, 1): one request every 1/limit s.
        const at = start + (sent * 1000) / cfg.limit
        if (at >= end) return undefined
        const wait = at - Date.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        sent++
        return { key: randomKey(flags.prefix, 256), value }
      },
      report,
      () => undefined,
    )
    const s = report.stats()
    const remaining = end - Date.now()
    if (remaining > 0) await new Promise((r) => setTimeout(r, remaining))
    clearInterval(barTick)
    bar.add(cfg.duration - bar.count)
    bar.finish()

    const endpoints = g.endpoints
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)
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

    let ok = true
    if (s.errors.size !== 0) {
      out('FAIL: too many errors\n')
      for (const [k, v] of s.errors) out(`FAIL: ERROR(${k}) -> ${v}\n`)
      ok = false
    }
    if (s.rps / cfg.limit <= 0.9) {
      out(`FAIL: Throughput too low: ${Math.trunc(s.rps) + 1} writes/s\n`)
      ok = false
    } else out(`PASS: Throughput is ${Math.trunc(s.rps) + 1} writes/s\n`)
    if (s.slowest > 0.5) {
      out(`Slowest request took too long: ${goFloat(s.slowest)}s\n`)
      ok = false
    } else out(`PASS: Slowest request took ${goFloat(s.slowest)}s\n`)
    if (s.stddev > 0.1) {
      out(`Stddev too high: ${goFloat(s.stddev)}s\n`)
      ok = false
    } else out(`PASS: Stddev is ${goFloat(s.stddev)}s\n`)
    if (ok) out('PASS\n')
    else {
      out('FAIL\n')
      process.exitCode = ExitCode.Error
    }
  }

  override async finally(err: Error | undefined): Promise<unknown> {
    for (const c of this.clients) c.close()
    const r = await super.finally(err)
    process.exit(process.exitCode ?? 0)
    return r
  }
}
