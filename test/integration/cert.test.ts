import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import tls from 'node:tls'
import { fileURLToPath } from 'node:url'

/** The repository root, from dist/test/integration. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const BIN = join(ROOT, 'bin', 'run.js')

const GUIDE_FILES: Record<string, string> = {
  'ca-config.json': JSON.stringify({
    signing: {
      default: { expiry: '43800h' },
      profiles: {
        server: { expiry: '43800h', usages: ['signing', 'key encipherment', 'server auth', 'client auth'] },
        client: { expiry: '43800h', usages: ['signing', 'key encipherment', 'client auth'] },
        peer: { expiry: '43800h', usages: ['signing', 'key encipherment', 'server auth', 'client auth'] },
      },
    },
  }),
  'ca-csr.json': '{"CN": "etcd", "key": {"algo": "rsa", "size": 2048}}',
  'client.json': '{"CN": "client", "key": {"algo": "ecdsa", "size": 256}}',
  'etcd.json':
    '{"CN": "etcd", "hosts": ["127.0.0.1", "192.168.255.131", "192.168.255.132", "192.168.255.133"], "key": {"algo": "ecdsa", "size": 256}, "names": [{"C": "CN", "L": "SH", "ST": "SH"}]}',
}

/** The guide's four commands, with cfssl's one-dash options. */
const GUIDE_STEPS: string[][] = [
  ['ca', 'ca-csr.json'],
  ['client', '-ca=ca.pem', '-ca-key=ca-key.pem', '-config=ca-config.json', '-profile=client', 'client.json'],
  ['server', '-ca=ca.pem', '-ca-key=ca-key.pem', '-config=ca-config.json', '-profile=server', 'etcd.json'],
  ['peer', '-ca=ca.pem', '-ca-key=ca-key.pem', '-config=ca-config.json', '-profile=peer', 'etcd.json'],
]

interface Result {
  code: number
  stdout: string
  stderr: string
}

function run(file: string, args: string[], cwd: string, input?: string): Promise<Result> {
  return new Promise((done) => {
    const child = execFile(file, args, { cwd, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      // oclif wraps long error messages and starts each line with " ›"; join them back.
      done({ code, stdout: stdout.toString(), stderr: stderr.toString().replace(/ ?\n ›\s+/g, ' ') })
    })
    if (input !== undefined) child.stdin?.end(input)
  })
}

const tsetcd = (cwd: string, ...args: string[]): Promise<Result> => run(process.execPath, [BIN, 'cert', ...args], cwd)

async function ok(cwd: string, ...args: string[]): Promise<Result> {
  const result = await tsetcd(cwd, ...args)
  assert.equal(result.code, 0, `tsetcd cert ${args.join(' ')} failed:\n${result.stderr}`)
  return result
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0
}

async function openssl(cwd: string, ...args: string[]): Promise<string> {
  const result = await run('openssl', args, cwd)
  assert.equal(result.code, 0, `openssl ${args.join(' ')} failed:\n${result.stderr}`)
  return result.stdout
}

const x509Text = (cwd: string, file: string): Promise<string> => openssl(cwd, 'x509', '-in', file, '-noout', '-text')

/** The line after an extension's heading in `openssl x509 -text`. */
function extensionValue(text: string, heading: string): string {
  const lines = text.split('\n')
  const at = lines.findIndex((l) => l.trim() === heading || l.trim() === `${heading}:`)
  assert.ok(at >= 0, `no ${heading} in:\n${text}`)
  return lines[at + 1].trim()
}

function skipWithout(ctx: Mocha.Context, command: string, why: string): void {
  if (!hasCommand(command)) {
    console.log(`      skipped: "${command}" is not installed (${why})`)
    ctx.skip()
  }
}

describe('tsetcd cert (the real binary)', function () {
  this.timeout(60_000)
  let base: string

  before(async function () {
    try {
      await stat(join(ROOT, 'dist', 'src', 'commands', 'cert', 'ca.js'))
    } catch {
      throw new Error('build first: npx tsc -p . && npx oclif manifest')
    }
    base = await mkdtemp(join(tmpdir(), 'tsetcd-cert-'))
  })

  after(async () => {
    if (base) await rm(base, { recursive: true, force: true })
  })

  async function newDir(name: string, files: Record<string, string> = {}): Promise<string> {
    const dir = join(base, name)
    await mkdir(dir, { recursive: true })
    for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text)
    return dir
  }

  describe("the cfssl guide's inputs and flags", () => {
    let dir: string

    before(async () => {
      dir = await newDir('guide', GUIDE_FILES)
      await ok(dir, ...GUIDE_STEPS[0])
      await Promise.all(GUIDE_STEPS.slice(1).map((step) => ok(dir, ...step)))
    })

    it('writes what cfssljson -bare writes, private keys with mode 0600', async () => {
      const made = (await readdir(dir)).filter((f) => !f.endsWith('.json')).sort()
      const expected = ['ca', 'client', 'peer', 'server']
        .flatMap((n) => [`${n}-key.pem`, `${n}.csr`, `${n}.pem`])
        .sort()
      assert.deepEqual(made, expected)
      for (const file of made) {
        const mode = (await stat(join(dir, file))).mode & 0o777
        assert.equal(mode, file.endsWith('-key.pem') ? 0o600 : 0o644, file)
      }
      assert.match(await readFile(join(dir, 'ca-key.pem'), 'utf8'), /^-----BEGIN RSA PRIVATE KEY-----/)
      assert.match(await readFile(join(dir, 'server-key.pem'), 'utf8'), /^-----BEGIN EC PRIVATE KEY-----/)
      assert.match(await readFile(join(dir, 'server.csr'), 'utf8'), /^-----BEGIN CERTIFICATE REQUEST-----/)
    })

    it('makes certificates that openssl verifies against ca.pem', async function () {
      skipWithout(this, 'openssl', 'needed to check certificates with openssl verify')
      const out = await openssl(dir, 'verify', '-CAfile', 'ca.pem', 'server.pem', 'peer.pem', 'client.pem')
      assert.equal(out, 'server.pem: OK\npeer.pem: OK\nclient.pem: OK\n')
    })

    it('gives each certificate the SANs, usages and key openssl should show', async function () {
      skipWithout(this, 'openssl', 'needed to read certificates with openssl x509 -text')
      const ca = await x509Text(dir, 'ca.pem')
      assert.equal(extensionValue(ca, 'X509v3 Basic Constraints: critical'), 'CA:TRUE')
      assert.equal(extensionValue(ca, 'X509v3 Key Usage: critical'), 'Certificate Sign, CRL Sign')
      assert.match(ca, /Public-Key: \(2048 bit\)/)
      assert.match(ca, /Issuer: CN = etcd\n/)
      const caKeyId = extensionValue(ca, 'X509v3 Subject Key Identifier')

      for (const name of ['server', 'peer']) {
        const text = await x509Text(dir, `${name}.pem`)
        assert.equal(
          extensionValue(text, 'X509v3 Subject Alternative Name'),
          'IP Address:127.0.0.1, IP Address:192.168.255.131, IP Address:192.168.255.132, IP Address:192.168.255.133',
          name,
        )
        assert.equal(extensionValue(text, 'X509v3 Key Usage: critical'), 'Digital Signature, Key Encipherment')
        assert.equal(
          extensionValue(text, 'X509v3 Extended Key Usage'),
          'TLS Web Server Authentication, TLS Web Client Authentication',
        )
        assert.equal(extensionValue(text, 'X509v3 Basic Constraints: critical'), 'CA:FALSE')
        assert.equal(extensionValue(text, 'X509v3 Authority Key Identifier'), caKeyId)
        assert.match(text, /Subject: C = CN, ST = SH, L = SH, CN = etcd\n/)
        assert.match(text, /NIST CURVE: P-256/)
      }
      const client = await x509Text(dir, 'client.pem')
      assert.equal(extensionValue(client, 'X509v3 Extended Key Usage'), 'TLS Web Client Authentication')
      assert.doesNotMatch(client, /Subject Alternative Name/)

      const csr = await run('openssl', ['req', '-in', 'server.csr', '-noout', '-text', '-verify'], dir)
      assert.equal(csr.code, 0, csr.stderr)
      assert.match(csr.stderr + csr.stdout, /verify OK/)
      assert.match(csr.stdout, /IP Address:127\.0\.0\.1, IP Address:192\.168\.255\.131/)
    })

    it('never replaces a private key unless --force is given', async () => {
      const before = await readFile(join(dir, 'server-key.pem'), 'utf8')
      const refused = await tsetcd(dir, ...GUIDE_STEPS[2])
      assert.notEqual(refused.code, 0)
      assert.match(refused.stderr, /server-key\.pem already exists; not overwriting a private key \(use --force/)
      assert.equal(await readFile(join(dir, 'server-key.pem'), 'utf8'), before)

      await ok(dir, ...GUIDE_STEPS[2], '--force')
      assert.notEqual(await readFile(join(dir, 'server-key.pem'), 'utf8'), before)
      assert.equal((await stat(join(dir, 'server-key.pem'))).mode & 0o777, 0o600)
    })
  })

  it('reports bad input clearly and exits non-zero', async () => {
    const dir = await newDir('errors', {
      ...GUIDE_FILES,
      'broken.json': '{"CN": "x", ',
      'dsa.json': '{"CN": "x", "key": {"algo": "dsa", "size": 1024}}',
      'small.json': '{"CN": "x", "key": {"algo": "rsa", "size": 1024}}',
    })
    await ok(dir, 'ca', 'ca-csr.json')
    const cases: Array<[string[], RegExp]> = [
      [
        ['server', '-config=ca-config.json', '-profile=kubernetes', 'etcd.json'],
        /unknown profile "kubernetes" in ca-config\.json \(known: default, server, client, peer\)/,
      ],
      [['ca', 'dsa.json', '--bare', 'x1'], /dsa\.json: unsupported key algorithm "dsa": use "rsa" or "ecdsa"/],
      [['ca', 'small.json', '--bare', 'x2'], /small\.json: unsupported rsa key size 1024: use one of 2048, 3072, 4096/],
      [['client', '--key-algo', 'ecdsa', '--key-size', '2048'], /unsupported ecdsa key size 2048/],
      [['ca', 'broken.json', '--bare', 'x3'], /broken\.json: not valid JSON/],
      [['ca', 'absent.json', '--bare', 'x4'], /cannot read CSR JSON absent\.json: no such file/],
      [
        ['server', '-ca=ca.pem', '-ca-key=missing-key.pem', 'etcd.json'],
        /cannot read CA key missing-key\.pem: no such file/,
      ],
      [['server', '--expiry', '5 years', 'etcd.json'], /invalid duration "5 years"/],
      [
        ['server', '-config=absent-config.json', 'etcd.json'],
        /cannot read signing config absent-config\.json: no such file/,
      ],
    ]
    const results = await Promise.all(cases.map(([args]) => tsetcd(dir, ...args)))
    results.forEach((result, i) => {
      assert.notEqual(result.code, 0, cases[i][0].join(' '))
      assert.match(result.stderr, cases[i][1])
    })
    const left = (await readdir(dir)).filter((f) => f.endsWith('.pem'))
    assert.deepEqual(left.sort(), ['ca-key.pem', 'ca.pem'], 'failed commands write nothing')
  })

  it('builds requests from flags alone, finding the CA in --out-dir', async function () {
    skipWithout(this, 'openssl', 'needed to read certificates with openssl x509 -text')
    const dir = await newDir('flags')
    await ok(dir, 'ca', '--cn', 'test-ca', '--key-algo', 'ecdsa', '--key-size', '384', '--out-dir', 'pki')
    await ok(
      dir,
      'server',
      '--cn',
      'infra1',
      '--hosts',
      '10.0.0.1,localhost',
      '--names',
      'C=US,O=acme,OU=db',
      '--key-algo',
      'rsa',
      '--key-size',
      '3072',
      '--out-dir',
      'pki',
      '--bare',
      'infra1',
    )
    const text = await x509Text(dir, 'pki/infra1.pem')
    assert.match(text, /Subject: C = US, O = acme, OU = db, CN = infra1\n/)
    assert.match(text, /Issuer: CN = test-ca\n/)
    assert.match(text, /Public-Key: \(3072 bit\)/)
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA384/)
    assert.equal(extensionValue(text, 'X509v3 Subject Alternative Name'), 'IP Address:10.0.0.1, DNS:localhost')
    assert.equal(await openssl(dir, 'verify', '-CAfile', 'pki/ca.pem', 'pki/infra1.pem'), 'pki/infra1.pem: OK\n')

    const piped = await run(
      process.execPath,
      [BIN, 'cert', 'client', '-', '--out-dir', 'pki', '--bare', 'from-stdin'],
      dir,
      '{"CN": "root", "key": {"algo": "ecdsa", "size": 384}}',
    )
    assert.equal(piped.code, 0, piped.stderr)
    const client = await x509Text(dir, 'pki/from-stdin.pem')
    assert.match(client, /Subject: CN = root\n/)
    assert.match(client, /NIST CURVE: P-384/)
  })

  describe('cert init', () => {
    let dir: string
    let output: Result

    before(async () => {
      dir = await newDir('init')
      output = await ok(
        dir,
        'init',
        '--member',
        'infra1=127.0.0.1,infra2=10.0.0.2',
        '--member',
        'infra3=10.0.0.3',
        '--hosts',
        'etcd.example.com',
        '--out-dir',
        'pki',
      )
    })

    it('writes the CA, one certificate per member and a client certificate, and says so', async () => {
      const names = ['ca', 'infra1', 'infra2', 'infra3', 'client']
      assert.deepEqual(
        (await readdir(join(dir, 'pki'))).sort(),
        names.flatMap((n) => [`${n}-key.pem`, `${n}.csr`, `${n}.pem`]).sort(),
      )
      for (const name of names) {
        assert.match(output.stdout, new RegExp(`wrote pki/${name}\\.pem, pki/${name}-key\\.pem, pki/${name}\\.csr`))
        assert.equal((await stat(join(dir, 'pki', `${name}-key.pem`))).mode & 0o777, 0o600)
      }
    })

    it('prints the etcd and etcdctl flags that use the files', () => {
      assert.match(output.stdout, /--cert-file=pki\/infra2\.pem/)
      assert.match(output.stdout, /--peer-cert-file=pki\/infra2\.pem/)
      assert.match(output.stdout, /--peer-key-file=pki\/infra2-key\.pem/)
      assert.match(output.stdout, /--trusted-ca-file=pki\/ca\.pem/)
      assert.match(output.stdout, /--client-cert-auth/)
      assert.match(
        output.stdout,
        /--initial-cluster=infra1=https:\/\/127\.0\.0\.1:2380,infra2=https:\/\/10\.0\.0\.2:2380,infra3=https:\/\/10\.0\.0\.3:2380/,
      )
      assert.match(
        output.stdout,
        /--endpoints=https:\/\/127\.0\.0\.1:2379,https:\/\/10\.0\.0\.2:2379,https:\/\/10\.0\.0\.3:2379 --cacert=pki\/ca\.pem --cert=pki\/client\.pem --key=pki\/client-key\.pem/,
      )
    })

    it('gives member certificates their IP, loopback, localhost, name and extra hosts, for server and peer use', async function () {
      skipWithout(this, 'openssl', 'needed to check certificates with openssl')
      assert.equal(
        await openssl(
          dir,
          'verify',
          '-CAfile',
          'pki/ca.pem',
          'pki/infra1.pem',
          'pki/infra2.pem',
          'pki/infra3.pem',
          'pki/client.pem',
        ),
        'pki/infra1.pem: OK\npki/infra2.pem: OK\npki/infra3.pem: OK\npki/client.pem: OK\n',
      )
      const infra2 = await x509Text(dir, 'pki/infra2.pem')
      assert.equal(
        extensionValue(infra2, 'X509v3 Subject Alternative Name'),
        'IP Address:10.0.0.2, IP Address:127.0.0.1, DNS:localhost, DNS:infra2, DNS:etcd.example.com',
      )
      assert.equal(
        extensionValue(infra2, 'X509v3 Extended Key Usage'),
        'TLS Web Server Authentication, TLS Web Client Authentication',
      )
      const client = await x509Text(dir, 'pki/client.pem')
      assert.equal(extensionValue(client, 'X509v3 Extended Key Usage'), 'TLS Web Client Authentication')
    })

    it('refuses to run again over the keys without --force', async () => {
      const again = await tsetcd(dir, 'init', '--member', 'infra1=127.0.0.1', '--out-dir', 'pki')
      assert.notEqual(again.code, 0)
      assert.match(again.stderr, /pki\/ca-key\.pem already exists/)
    })
  })

  describe('cert info', () => {
    let dir: string

    before(async () => {
      dir = await newDir('info', GUIDE_FILES)
      await ok(dir, ...GUIDE_STEPS[0])
      await Promise.all([
        ok(dir, ...GUIDE_STEPS[2]),
        ok(dir, 'client', '--expiry', '24h', '--bare', 'short'),
        ok(dir, 'client', '--expiry', '1000h', '--bare', 'long'),
      ])
    })

    it('shows subject, SANs, usages, issuer, serial, validity and key', async function () {
      const { stdout } = await ok(dir, 'info', 'server.pem')
      assert.match(stdout, /^Subject: +C=CN, ST=SH, L=SH, CN=etcd$/m)
      assert.match(stdout, /^Issuer: +CN=etcd$/m)
      assert.match(
        stdout,
        /^SANs: +IP:127\.0\.0\.1, IP:192\.168\.255\.131, IP:192\.168\.255\.132, IP:192\.168\.255\.133$/m,
      )
      assert.match(stdout, /^Key usage: +digital signature, key encipherment$/m)
      assert.match(stdout, /^Ext key usage: +server auth, client auth$/m)
      assert.match(stdout, /^Key algorithm: +ECDSA P-256$/m)
      assert.match(stdout, /^Not before: +\d{4}-\d\d-\d\dT/m)
      assert.match(stdout, /^Not after: +\d{4}-\d\d-\d\dT/m)
      assert.doesNotMatch(stdout, /WARNING/)
      if (hasCommand('openssl')) {
        const serial = (await openssl(dir, 'x509', '-in', 'server.pem', '-noout', '-serial'))
          .trim()
          .replace('serial=', '')
          .toLowerCase()
        assert.match(stdout, new RegExp(`^Serial: +${serial}$`, 'm'))
      }
    })

    it('warns when a certificate expires within 30 days, and not otherwise', async () => {
      const [short, long] = await Promise.all([ok(dir, 'info', 'short.pem'), ok(dir, 'info', 'long.pem')])
      assert.match(short.stdout, /^WARNING: certificate expires in 2[23] hours, on .* \(within 30 days\)$/m)
      assert.doesNotMatch(long.stdout, /WARNING/)
      const tighter = await ok(dir, 'info', 'long.pem', '--warn-days', '60')
      assert.match(tighter.stdout, /^WARNING: certificate expires in 41 days/m)
    })

    it('prints JSON on request and fails clearly on a file that is not a certificate', async () => {
      const info = JSON.parse((await ok(dir, 'info', 'ca.pem', '--json')).stdout) as {
        isCa: boolean
        keyUsage: string[]
        keyAlgorithm: string
      }
      assert.equal(info.isCa, true)
      assert.deepEqual(info.keyUsage, ['cert sign', 'crl sign'])
      assert.equal(info.keyAlgorithm, 'RSA 2048')
      const bad = await tsetcd(dir, 'info', 'ca-csr.json')
      assert.notEqual(bad.code, 0)
      assert.match(bad.stderr, /ca-csr\.json: no PEM certificate found/)
    })
  })

  describe('mutual TLS with the generated certificates', () => {
    let pki: string
    let foreign: string

    before(async () => {
      const dir = await newDir('tls')
      await Promise.all([
        ok(dir, 'init', '--member', 'infra1=127.0.0.1', '--out-dir', 'pki'),
        ok(dir, 'init', '--member', 'infra1=127.0.0.1', '--out-dir', 'foreign', '--ca-cn', 'another-ca'),
      ])
      pki = join(dir, 'pki')
      foreign = join(dir, 'foreign')
    })

    const pem = (dir: string, file: string): Promise<Buffer> => readFile(join(dir, file))

    interface Outcome {
      received: string
      clientError?: string
      serverAuthorized?: boolean
      serverAuthorizationError?: string
      serverError?: string
    }

    /** One connection from a client to a server that demands a client certificate from `ca`. */
    async function connect(
      server: { dir: string; name: string },
      client: { dir: string; name: string },
      rejectUnauthorized = true,
    ): Promise<Outcome> {
      const outcome: Outcome = { received: '' }
      const srv = tls.createServer(
        {
          key: await pem(server.dir, `${server.name}-key.pem`),
          cert: await pem(server.dir, `${server.name}.pem`),
          ca: await pem(pki, 'ca.pem'),
          requestCert: true,
          rejectUnauthorized,
        },
        (socket) => {
          outcome.serverAuthorized = socket.authorized
          if (!socket.authorized) {
            outcome.serverAuthorizationError = String(socket.authorizationError)
            socket.destroy()
            return
          }
          socket.end(`hello ${(socket.getPeerCertificate().subject as { CN?: string }).CN ?? ''}`)
        },
      )
      srv.on('tlsClientError', (err: NodeJS.ErrnoException) => {
        outcome.serverError = err.code ?? err.message
      })
      await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done))
      try {
        await new Promise<void>((done) => {
          const socket = tls.connect({
            host: '127.0.0.1',
            port: (srv.address() as AddressInfo).port,
            ca: [readFileSync(join(pki, 'ca.pem'))],
            key: readFileSync(join(client.dir, `${client.name}-key.pem`)),
            cert: readFileSync(join(client.dir, `${client.name}.pem`)),
          })
          socket.setEncoding('utf8')
          socket.on('data', (chunk: string) => {
            outcome.received += chunk
          })
          socket.on('error', (err: NodeJS.ErrnoException) => {
            outcome.clientError = err.code ?? err.message
          })
          socket.on('close', () => done())
        })
        await new Promise((done) => setTimeout(done, 50))
      } finally {
        srv.close()
      }
      return outcome
    }

    it('accepts the client certificate from the same CA, both sides verified', async () => {
      const outcome = await connect({ dir: pki, name: 'infra1' }, { dir: pki, name: 'client' })
      assert.equal(outcome.clientError, undefined)
      assert.equal(outcome.serverAuthorized, true)
      assert.equal(outcome.received, 'hello client')
    })

    it('refuses a client certificate from another CA', async () => {
      const refused = await connect({ dir: pki, name: 'infra1' }, { dir: foreign, name: 'client' })
      assert.equal(refused.received, '')
      assert.equal(refused.serverAuthorized, undefined, 'the server never handed the connection to the application')
      // The same connection with the refusal left to the application shows why.
      const inspected = await connect({ dir: pki, name: 'infra1' }, { dir: foreign, name: 'client' }, false)
      assert.equal(inspected.serverAuthorized, false)
      assert.equal(inspected.serverAuthorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')
      assert.equal(inspected.received, '')
    })

    it('lets the client refuse a server certificate from another CA, or one without server auth', async () => {
      const otherCa = await connect({ dir: foreign, name: 'infra1' }, { dir: pki, name: 'client' })
      assert.equal(otherCa.clientError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')
      assert.equal(otherCa.received, '')
      const clientCertAsServer = await connect({ dir: pki, name: 'client' }, { dir: pki, name: 'client' })
      assert.equal(clientCertAsServer.clientError, 'INVALID_PURPOSE')
      assert.equal(clientCertAsServer.received, '')
    })
  })

  describe('compared with the real cfssl', () => {
    let ours: string
    let theirs: string

    before(async function () {
      for (const command of ['cfssl', 'cfssljson', 'openssl'])
        skipWithout(this, command, 'apt-get install golang-cfssl openssl to compare with cfssl')
      ours = await newDir('cfssl-ours', GUIDE_FILES)
      theirs = await newDir('cfssl-theirs', GUIDE_FILES)
      await ok(ours, ...GUIDE_STEPS[0])
      await Promise.all(GUIDE_STEPS.slice(1).map((step) => ok(ours, ...step)))
      const cfssl = async (args: string[], bare: string): Promise<void> => {
        const gen = await run('cfssl', ['gencert', ...args], theirs)
        assert.equal(gen.code, 0, gen.stderr)
        const split = await run('cfssljson', ['-bare', bare], theirs, gen.stdout)
        assert.equal(split.code, 0, split.stderr)
      }
      await cfssl(['-initca', 'ca-csr.json'], 'ca')
      const signing = ['-ca=ca.pem', '-ca-key=ca-key.pem', '-config=ca-config.json']
      await Promise.all([
        cfssl([...signing, '-profile=client', 'client.json'], 'client'),
        cfssl([...signing, '-profile=server', 'etcd.json'], 'server'),
        cfssl([...signing, '-profile=peer', 'etcd.json'], 'peer'),
      ])
    })

    /** openssl's text without what must differ: key bits, signatures, key ids, serials and dates. */
    function normalise(text: string): string {
      return text
        .split('\n')
        .filter((line) => !/^\s+([0-9a-fA-F]{2}:)*[0-9a-fA-F]{1,2}:?$/.test(line))
        .map((line) => line.replace(/(Not Before|Not After) *:.*/, '$1: <date>'))
        .join('\n')
    }

    async function lifetime(dir: string, file: string): Promise<number> {
      const dates = await openssl(dir, 'x509', '-in', file, '-noout', '-startdate', '-enddate')
      const [start, end] = dates
        .trim()
        .split('\n')
        .map((l) => Date.parse(l.split('=')[1]))
      return end - start
    }

    it('writes the same files with the same modes', async () => {
      const listing = async (dir: string): Promise<string[]> =>
        Promise.all(
          (await readdir(dir)).sort().map(async (f) => `${f} ${((await stat(join(dir, f))).mode & 0o777).toString(8)}`),
        )
      assert.deepEqual(await listing(ours), await listing(theirs))
    })

    it("makes certificates and CSRs that differ from cfssl's only in keys, serials and dates", async () => {
      for (const name of ['ca', 'client', 'server', 'peer']) {
        assert.equal(
          normalise(await x509Text(ours, `${name}.pem`)),
          normalise(await x509Text(theirs, `${name}.pem`)),
          `${name}.pem`,
        )
        assert.equal(await lifetime(ours, `${name}.pem`), await lifetime(theirs, `${name}.pem`), `${name}.pem lifetime`)
        const csr = async (dir: string): Promise<string> =>
          normalise(await openssl(dir, 'req', '-in', `${name}.csr`, '-noout', '-text'))
        assert.equal(await csr(ours), await csr(theirs), `${name}.csr`)
        const keyHead = async (dir: string): Promise<string> =>
          (await readFile(join(dir, `${name}-key.pem`), 'utf8')).split('\n')[0]
        assert.equal(await keyHead(ours), await keyHead(theirs), `${name}-key.pem`)
      }
    })

    it('signs with a CA that cfssl made, and cfssl signs with ours', async () => {
      await ok(
        theirs,
        'server',
        '-ca=ca.pem',
        '-ca-key=ca-key.pem',
        '-config=ca-config.json',
        '-profile=server',
        'etcd.json',
        '--bare',
        'ours-by-cfssl-ca',
      )
      assert.equal(
        await openssl(theirs, 'verify', '-CAfile', 'ca.pem', 'ours-by-cfssl-ca.pem'),
        'ours-by-cfssl-ca.pem: OK\n',
      )
      const gen = await run(
        'cfssl',
        ['gencert', '-ca=ca.pem', '-ca-key=ca-key.pem', '-config=ca-config.json', '-profile=client', 'client.json'],
        ours,
      )
      assert.equal(gen.code, 0, gen.stderr)
      const split = await run('cfssljson', ['-bare', 'cfssl-by-our-ca'], ours, gen.stdout)
      assert.equal(split.code, 0, split.stderr)
      assert.equal(
        await openssl(ours, 'verify', '-CAfile', 'ca.pem', 'cfssl-by-our-ca.pem'),
        'cfssl-by-our-ca.pem: OK\n',
      )
    })

    it('prints JSON that cfssljson -bare splits into the usual files', async () => {
      const json = await ok(ours, 'client', '--json', 'client.json')
      const split = await run('cfssljson', ['-bare', 'piped'], ours, json.stdout)
      assert.equal(split.code, 0, split.stderr)
      assert.equal(await openssl(ours, 'verify', '-CAfile', 'ca.pem', 'piped.pem'), 'piped.pem: OK\n')
      assert.equal((await stat(join(ours, 'piped-key.pem'))).mode & 0o777, 0o600)
    })
  })
})
