import { Flags } from '@oclif/core'
import { ClientCommand, EtcdctlExit, type GlobalFlags } from '../cli/base.js'
import { ClusterService } from '../gen/etcdserverpb.js'
import { getHealth } from '../client/http-health.js'
import {
  CLUSTER_NOT_HEALTHY,
  LIST_FAILED,
  SERVER_ERROR,
  clusterHealth,
  type HealthMember,
} from '../ctl/cluster-health.js'

export default class ClusterHealth extends ClientCommand {
  static override summary = 'check the health of the etcd cluster (etcdctl 3.3)'
  static override description =
    "Asks each member's client URLs from the member list for /health and prints etcdctl 3.3's verdict. Exit status 0: every member is healthy; 5: not; 4: the members could not be listed."
  static override usage = 'cluster-health [flags]'
  static override examples = [
    '<%= config.bin %> --endpoints=https://10.0.0.1:2379 --ca-file=ca.pem --cert-file=client.pem --key-file=client-key.pem cluster-health',
    '<%= config.bin %> cluster-health --forever',
  ]
  static override flags = {
    forever: Flags.boolean({ char: 'f', description: 'forever check the health every 10 second until CTRL+C' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(ClusterHealth)
    const g = flags as unknown as GlobalFlags
    const timeout = this.commandTimeout(g)
    let members: HealthMember[]
    try {
      const client = await this.connect(g)
      const res = await client.call(ClusterService.MemberList, {}, timeout, true)
      members = res.members.map((m) => ({ id: m.ID.toString(16), clientURLs: m.clientURLs }))
    } catch (err) {
      process.stdout.write(`${LIST_FAILED}\n`)
      throw new EtcdctlExit(SERVER_ERROR, (err as Error).message, `Error:  ${(err as Error).message}\n`)
    }
    const tls = {
      caFile: g.cacert,
      certFile: g.cert,
      keyFile: g.key,
      insecureSkipVerify: g['insecure-skip-tls-verify'],
    }
    for (;;) {
      const report = await clusterHealth(members, (url) => getHealth(url, tls, timeout))
      process.stdout.write(report.lines.map((l) => `${l}\n`).join(''))
      if (!flags.forever) {
        if (!report.healthy) process.exitCode = CLUSTER_NOT_HEALTHY
        return
      }
      process.stdout.write('\nnext check after 10 second...\n\n')
      await new Promise((r) => setTimeout(r, 10000))
    }
  }
}
