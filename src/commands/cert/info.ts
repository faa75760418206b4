import { Args, Command, Flags } from '@oclif/core'
import { DEFAULT_WARN_DAYS, describeCertificate, formatCertificateInfo } from '../../pki/cert-info.js'
import { parseCertificates } from '../../pki/certificate-pem.js'
import { readInputFile } from '../../pki/input-files.js'

export default class Info extends Command {
  static override summary = 'Show a certificate: subject, SANs, usages, issuer, serial, validity, key'
  static override description =
    'Prints a warning line when the certificate has expired or expires within --warn-days (30) days. A file with several certificates (a bundle) shows each.'
  static override examples = ['<%= config.bin %> <%= command.id %> server.pem']

  static override args = {
    file: Args.string({ description: 'PEM certificate file', required: true, ignoreStdin: true }),
  }

  static override flags = {
    'warn-days': Flags.integer({
      summary: 'Warn when the certificate expires within this many days.',
      default: DEFAULT_WARN_DAYS,
      min: 0,
    }),
    json: Flags.boolean({ summary: 'Print the details as JSON.', default: false }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Info)
    try {
      const certs = parseCertificates(await readInputFile(args.file, 'certificate'), args.file)
      const infos = certs.map((cert) => describeCertificate(cert, new Date(), flags['warn-days']))
      if (flags.json) {
        this.log(JSON.stringify(infos.length === 1 ? infos[0] : infos, null, 2))
        return
      }
      this.log(infos.map(formatCertificateInfo).join('\n\n'))
    } catch (err) {
      this.error((err as Error).message, { exit: 1 })
    }
  }
}
