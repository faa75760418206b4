import { Args, Command, Flags } from '@oclif/core'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { barePaths, checkKeysWritable, writeBare } from '../../pki/bare-files.js'
import { normaliseCfsslArgv } from '../../pki/cfssl-argv.js'
import { emptyCsrRequest, parseCsrRequest, type CsrRequest } from '../../pki/csr-request.js'
import { parsePositiveDuration } from '../../pki/duration.js'
import { cfsslJson, makeLeaf, type CertBundle } from '../../pki/gencert.js'
import { splitHosts } from '../../pki/hosts.js'
import { readCsrRequestFile, readIssuerFiles, readSigningConfigFile } from '../../pki/input-files.js'
import { applyOverrides } from '../../pki/request-overrides.js'
import { BUILTIN_CONFIG } from '../../pki/signing-config.js'
import { parseNameEntry } from '../../pki/subject.js'
import { ECDSA_SIZES, RSA_SIZES } from '../../pki/key-spec.js'

/** Flags that describe the subject and key; they override the CSR JSON file's values. */
export const requestFlags = {
  cn: Flags.string({ summary: 'Common name (CN) of the subject.' }),
  hosts: Flags.string({ summary: 'Comma-separated IPs and DNS names for the subjectAltName.', aliases: ['hostname'] }),
  names: Flags.string({
    summary: 'Subject names as C=..,ST=..,L=..,O=..,OU=.. (repeatable).',
    multiple: true,
    multipleNonGreedy: true,
  }),
  'key-algo': Flags.string({ summary: 'Key algorithm.', options: ['rsa', 'ecdsa'] }),
  'key-size': Flags.integer({ summary: `Key size: rsa ${RSA_SIZES.join('/')}, ecdsa ${ECDSA_SIZES.join('/')}.` }),
  expiry: Flags.string({ summary: 'Lifetime as a Go duration, e.g. 43800h (default: from the profile or CSR).' }),
}

/** Flags that say where the files go (cfssljson -bare NAME). */
export const outputFlags = {
  'out-dir': Flags.string({ summary: 'Directory to write the files to.', default: '.' }),
  force: Flags.boolean({ summary: 'Replace an existing private key file.', default: false }),
  json: Flags.boolean({
    summary: 'Print cfssl\'s JSON ({"cert","csr","key"}) instead of writing files.',
    default: false,
  }),
}

interface RequestFlagValues {
  cn?: string
  hosts?: string
  names?: string[]
  'key-algo'?: string
  'key-size'?: number
}

/** The request from the CSR JSON argument (a file, or - for stdin) with the flags applied. */
export async function requestFrom(
  file: string | undefined,
  flags: RequestFlagValues,
  defaultCn: string,
): Promise<CsrRequest> {
  const base =
    file === undefined
      ? emptyCsrRequest(defaultCn)
      : file === '-'
        ? parseCsrRequest(readFileSync(0, 'utf8'), 'stdin')
        : await readCsrRequestFile(file)
  return applyOverrides(base, {
    cn: flags.cn,
    hosts: flags.hosts === undefined ? undefined : splitHosts(flags.hosts),
    names: flags.names?.map(parseNameEntry),
    keyAlgo: flags['key-algo'],
    keySize: flags['key-size'],
  })
}

/** Writes the bundle as NAME.pem, NAME-key.pem and NAME.csr, or prints cfssl's JSON. Returns the report lines. */
export async function emitBundle(
  bundle: CertBundle,
  outDir: string,
  bare: string,
  json: boolean,
  force: boolean,
): Promise<string[]> {
  if (json) return [cfsslJson(bundle)]
  const written = await writeBare(barePaths(outDir, bare), bundle, force)
  return written.map((path) => `wrote ${path}`)
}

export function expiryFrom(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parsePositiveDuration(text, '--expiry')
}

/** Makes a key and a certificate signed by the CA under a signing profile (cfssl gencert -ca -ca-key -config -profile). */
export default class Gencert extends Command {
  static override summary = 'Make a key and a CA-signed certificate from a cfssl CSR JSON file or flags'
  static override description =
    "Like `cfssl gencert -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=NAME csr.json | cfssljson -bare NAME`: writes NAME.pem, NAME-key.pem (mode 0600) and NAME.csr. cfssl's one-dash options (-ca=, -ca-key=, -config=, -profile=, -hostname=) are accepted."
  static override examples = [
    '<%= config.bin %> cert gencert -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=server etcd.json',
  ]

  /** The profile used when --profile is not given. */
  static defaultProfile: string | undefined = undefined

  static override args = {
    csr: Args.string({
      description: 'cfssl CSR JSON file (- for stdin); flags override its values',
      required: false,
      ignoreStdin: true,
    }),
  }

  static override flags = {
    ca: Flags.string({ summary: 'CA certificate (default: ca.pem in --out-dir).' }),
    'ca-key': Flags.string({ summary: 'CA private key (default: ca-key.pem in --out-dir).' }),
    config: Flags.string({ summary: 'cfssl ca-config.json with signing.default and signing.profiles.' }),
    profile: Flags.string({ summary: 'Signing profile name (server, peer, client or one from --config).' }),
    bare: Flags.string({
      summary: 'Base name of the files (NAME.pem, NAME-key.pem, NAME.csr); default: the profile name.',
    }),
    ...requestFlags,
    ...outputFlags,
  }

  async run(): Promise<void> {
    const ctor = this.constructor as typeof Gencert
    const { args, flags } = await this.parse(ctor, normaliseCfsslArgv(this.argv))
    const profileName = flags.profile ?? ctor.defaultProfile
    try {
      const request = await requestFrom(args.csr, flags, profileName ?? 'cert')
      const config = flags.config === undefined ? BUILTIN_CONFIG : await readSigningConfigFile(flags.config)
      const issuer = await readIssuerFiles(
        flags.ca ?? join(flags['out-dir'], 'ca.pem'),
        flags['ca-key'] ?? join(flags['out-dir'], 'ca-key.pem'),
      )
      const bare = flags.bare ?? (profileName === undefined || profileName === 'default' ? 'cert' : profileName)
      if (!flags.json) await checkKeysWritable([barePaths(flags['out-dir'], bare)], flags.force)
      const bundle = await makeLeaf(request, issuer, config, profileName, { expiryMs: expiryFrom(flags.expiry) })
      for (const line of await emitBundle(bundle, flags['out-dir'], bare, flags.json, flags.force)) this.log(line)
    } catch (err) {
      this.error((err as Error).message, { exit: 1 })
    }
  }
}
