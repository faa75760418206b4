import { Args, Command, Flags } from '@oclif/core'
import { barePaths, checkKeysWritable } from '../../pki/bare-files.js'
import { normaliseCfsslArgv } from '../../pki/cfssl-argv.js'
import { makeCa } from '../../pki/gencert.js'
import { emitBundle, expiryFrom, outputFlags, requestFlags, requestFrom } from './gencert.js'

export default class Ca extends Command {
  static override summary = 'Make a new self-signed CA (cfssl gencert -initca)'
  static override description =
    'Writes ca.pem, ca-key.pem (mode 0600) and ca.csr unless --bare names them otherwise. The CA has basicConstraints CA:TRUE, key usage cert sign + crl sign, and lives 43800h (5 years) unless the CSR\'s "ca": {"expiry"} or --expiry says otherwise.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> ca-csr.json',
    '<%= config.bin %> <%= command.id %> --cn etcd-ca --key-algo rsa --key-size 2048 --out-dir certs',
  ]

  static override args = {
    csr: Args.string({
      description: 'cfssl CSR JSON file (- for stdin); flags override its values',
      required: false,
      ignoreStdin: true,
    }),
  }

  static override flags = {
    bare: Flags.string({ summary: 'Base name of the files (NAME.pem, NAME-key.pem, NAME.csr).', default: 'ca' }),
    ...requestFlags,
    ...outputFlags,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Ca, normaliseCfsslArgv(this.argv))
    try {
      const request = await requestFrom(args.csr, flags, 'etcd-ca')
      if (!flags.json) await checkKeysWritable([barePaths(flags['out-dir'], flags.bare)], flags.force)
      const bundle = await makeCa(request, { expiryMs: expiryFrom(flags.expiry) })
      for (const line of await emitBundle(bundle, flags['out-dir'], flags.bare, flags.json, flags.force)) this.log(line)
    } catch (err) {
      this.error((err as Error).message, { exit: 1 })
    }
  }
}
