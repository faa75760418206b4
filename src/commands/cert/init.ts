import { Command, Flags } from '@oclif/core'
import { initCluster, etcdctlFlags, etcdFlagsFor, parseMembers } from '../../pki/cluster-init.js'
import { checkKeySpec, defaultSize, ECDSA_SIZES, RSA_SIZES, type KeyAlgo } from '../../pki/key-spec.js'
import { splitHosts } from '../../pki/hosts.js'
import { parseNameEntry } from '../../pki/subject.js'
import { expiryFrom } from './gencert.js'
import { parsePositiveDuration } from '../../pki/duration.js'

export default class Init extends Command {
  static override summary = 'Make every certificate a TLS cluster needs: a CA, one per member, and a client certificate'
  static override description =
    'Writes ca.pem, NAME.pem for each member (used as both its server and its peer certificate; SANs: its address, 127.0.0.1, localhost, its name and --hosts) and client.pem for etcdctl, each with a -key.pem (mode 0600) and a .csr. Prints the etcd and etcdctl flags that use them.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> --member infra1=10.0.0.1,infra2=10.0.0.2,infra3=10.0.0.3 --out-dir certs',
  ]

  static override flags = {
    member: Flags.string({
      summary: 'Members as NAME=IP, comma-separated (repeatable).',
      required: true,
      multiple: true,
    }),
    hosts: Flags.string({ summary: 'Extra comma-separated SANs for every member certificate (a VIP, a DNS name …).' }),
    'out-dir': Flags.string({ summary: 'Directory to write the files to.', default: '.' }),
    'key-algo': Flags.string({
      summary: 'Key algorithm of the member and client keys.',
      options: ['rsa', 'ecdsa'],
      default: 'ecdsa',
    }),
    'key-size': Flags.integer({
      summary: `Key size: rsa ${RSA_SIZES.join('/')}, ecdsa ${ECDSA_SIZES.join('/')} (default 2048 / 256).`,
    }),
    'ca-key-algo': Flags.string({ summary: 'Key algorithm of the CA key.', options: ['rsa', 'ecdsa'], default: 'rsa' }),
    'ca-key-size': Flags.integer({ summary: 'Key size of the CA key (default 2048 / 256).' }),
    'ca-cn': Flags.string({ summary: 'Common name of the CA.', default: 'etcd-ca' }),
    'client-cn': Flags.string({
      summary: 'Common name of the client certificate (the etcd user name with --client-cert-auth).',
      default: 'client',
    }),
    names: Flags.string({
      summary: 'Subject names for all certificates as C=..,ST=..,L=..,O=..,OU=.. (repeatable).',
      multiple: true,
    }),
    expiry: Flags.string({
      summary: 'Lifetime of the member and client certificates (Go duration).',
      default: '43800h',
    }),
    'ca-expiry': Flags.string({ summary: 'Lifetime of the CA (Go duration).', default: '43800h' }),
    force: Flags.boolean({ summary: 'Replace existing private key files.', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Init)
    try {
      const members = parseMembers(flags.member)
      const keyAlgo = flags['key-algo'] as KeyAlgo
      const caKeyAlgo = flags['ca-key-algo'] as KeyAlgo
      const dir = flags['out-dir']
      const written = await initCluster({
        members,
        extraHosts: flags.hosts === undefined ? [] : splitHosts(flags.hosts),
        outDir: dir,
        key: checkKeySpec(keyAlgo, flags['key-size'] ?? defaultSize(keyAlgo)),
        caKey: checkKeySpec(caKeyAlgo, flags['ca-key-size'] ?? defaultSize(caKeyAlgo)),
        expiryMs: expiryFrom(flags.expiry),
        caExpiryMs: parsePositiveDuration(flags['ca-expiry'], '--ca-expiry'),
        caCn: flags['ca-cn'],
        clientCn: flags['client-cn'],
        names: (flags.names ?? []).map(parseNameEntry),
        force: flags.force,
      })
      for (const cert of written) {
        const role =
          cert.role === 'member'
            ? `member ${cert.label} (server and peer)`
            : cert.role === 'ca'
              ? 'CA'
              : `client (CN=${cert.label})`
        this.log(`wrote ${cert.paths.cert}, ${cert.paths.key}, ${cert.paths.csr}  # ${role}`)
      }
      for (const member of members) {
        this.log(`\netcd flags for ${member.name}:\n  ${etcdFlagsFor(member, members, dir).join(' \\\n  ')}`)
      }
      this.log(`\netcdctl flags:\n  ${etcdctlFlags(members, dir).join(' ')}`)
    } catch (err) {
      this.error((err as Error).message, { exit: 1 })
    }
  }
}
