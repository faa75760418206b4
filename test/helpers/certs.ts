/**
 * Certificates for the TLS tests, made in-process with tsetcd's CA (src/pki): two CAs of
 * the same name, server and client certificates, an expired one, one without client auth.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { CsrRequest } from '../../src/pki/csr-request.js'
import { makeCa, makeLeaf, type CertBundle } from '../../src/pki/gencert.js'
import type { Issuer } from '../../src/pki/issuer.js'
import { BUILTIN_CONFIG, type SigningConfig } from '../../src/pki/signing-config.js'

export interface Pair {
  cert: string
  key: string
}

export interface TestPki {
  dir: string
  ca: string
  caKey: string
  otherCa: string
  server: Pair
  /** Valid for 127.0.0.1 / localhost, CN "rotated": the certificate a rotation swaps in. */
  rotated: Pair
  /** SANs 10.9.9.9 and wrong.example only. */
  wrongHost: Pair
  expiredServer: Pair
  client: Pair
  otherClient: Pair
  expiredClient: Pair
  /** Extended key usage server auth only. */
  serverOnlyClient: Pair
}

const HOUR = 3_600_000
const ONLY_SERVER: SigningConfig = {
  source: 'test profiles',
  defaultProfile: BUILTIN_CONFIG.defaultProfile,
  profiles: {
    serveronly: { name: 'serveronly', usages: ['signing', 'key encipherment', 'server auth'], expiryMs: HOUR },
  },
}

function request(cn: string, hosts: string[]): CsrRequest {
  return { cn, names: [], hosts, key: { algo: 'ecdsa', size: 256 } }
}

function write(dir: string, name: string, b: CertBundle): Pair {
  const cert = path.join(dir, `${name}.pem`)
  const key = path.join(dir, `${name}-key.pem`)
  fs.writeFileSync(cert, b.certPem)
  fs.writeFileSync(key, b.keyPem, { mode: 0o600 })
  return { cert, key }
}

export async function makeTestPki(): Promise<TestPki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsetcd-tls-unit-'))
  const caReq = { ...request('etcd-ca', []), key: { algo: 'ecdsa' as const, size: 256 } }
  const [ca, other] = await Promise.all([makeCa(caReq), makeCa(caReq)])
  fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem)
  fs.writeFileSync(path.join(dir, 'ca-key.pem'), ca.keyPem, { mode: 0o600 })
  fs.writeFileSync(path.join(dir, 'other-ca.pem'), other.certPem)
  const issuer: Issuer = { cert: ca.cert, key: ca.key }
  const otherIssuer: Issuer = { cert: other.cert, key: other.key }
  const local = ['127.0.0.1', 'localhost']
  const leaf = (
    cn: string,
    hosts: string[],
    profile: string,
    by = issuer,
    config = BUILTIN_CONFIG,
    expiryMs?: number,
  ) => makeLeaf(request(cn, hosts), by, config, profile, { expiryMs })
  const [server, rotated, wrongHost, expiredServer, client, otherClient, expiredClient, serverOnly] = await Promise.all(
    [
      leaf('m1', local, 'server'),
      leaf('rotated', local, 'server'),
      leaf('wrong', ['10.9.9.9', 'wrong.example'], 'server'),
      leaf('old-server', local, 'server', issuer, BUILTIN_CONFIG, 1000),
      leaf('client', [], 'client'),
      leaf('client', [], 'client', otherIssuer),
      leaf('old-client', [], 'client', issuer, BUILTIN_CONFIG, 1000),
      leaf('server-only', [], 'serveronly', issuer, ONLY_SERVER),
    ],
  )
  return {
    dir,
    ca: path.join(dir, 'ca.pem'),
    caKey: path.join(dir, 'ca-key.pem'),
    otherCa: path.join(dir, 'other-ca.pem'),
    server: write(dir, 'server', server),
    rotated: write(dir, 'rotated', rotated),
    wrongHost: write(dir, 'wrong-host', wrongHost),
    expiredServer: write(dir, 'expired-server', expiredServer),
    client: write(dir, 'client', client),
    otherClient: write(dir, 'other-client', otherClient),
    expiredClient: write(dir, 'expired-client', expiredClient),
    serverOnlyClient: write(dir, 'server-only', serverOnly),
  }
}

export interface CertFiles {
  dir: string
  /** The leaf certificate and key (files and PEM). */
  cert: string
  key: string
  certPem: Buffer
  keyPem: Buffer
  /** The CA that alone signed it: trusting this trusts this certificate only. */
  ca: string
  caPem: Buffer
}

/**
 * A certificate for 127.0.0.1 and localhost (server and client auth) under a CA of its own,
 * made in-process; files `<name>.pem`, `<name>-key.pem`, `<name>-ca.pem` in `dir`.
 */
export async function soloCert(dir: string, name: string, cn = 'tsetcd-test'): Promise<CertFiles> {
  const ca = await makeCa(request(`${cn}-ca`, []))
  const leaf = await makeLeaf(
    request(cn, ['127.0.0.1', 'localhost']),
    { cert: ca.cert, key: ca.key },
    BUILTIN_CONFIG,
    'peer',
  )
  const files = write(dir, name, leaf)
  const caFile = path.join(dir, `${name}-ca.pem`)
  fs.writeFileSync(caFile, ca.certPem)
  return {
    dir,
    ...files,
    certPem: Buffer.from(leaf.certPem),
    keyPem: Buffer.from(leaf.keyPem),
    ca: caFile,
    caPem: Buffer.from(ca.certPem),
  }
}

/** A CA in `dir` (`<name>.pem`, `<name>-key.pem`) and a function issuing peer certificates under it. */
export async function testCa(
  dir: string,
  name: string,
): Promise<{ ca: string; issue: (leafName: string, cn: string) => Promise<Pair> }> {
  const ca = await makeCa(request(name, []))
  const files = write(dir, name, ca)
  return {
    ca: files.cert,
    issue: async (leafName, cn) =>
      write(
        dir,
        leafName,
        await makeLeaf(request(cn, ['127.0.0.1', 'localhost']), { cert: ca.cert, key: ca.key }, BUILTIN_CONFIG, 'peer'),
      ),
  }
}
