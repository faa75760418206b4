import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildConfig } from '../../../src/server/config/config.js'
import { FLAGS } from '../../../src/server/config/flags.js'
import { ConfigError } from '../../../src/server/config/parse.js'

const refused = (argv: string[], env: NodeJS.ProcessEnv, flag: string) =>
  assert.throws(
    () => buildConfig(argv, env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.exitCode, 1)
      assert.match(err.message, new RegExp(`^--${flag} is not supported yet by tsetcd`))
      return true
    },
  )

describe('config: flags tsetcd does not support yet', () => {
  it('start at their defaults, spelled out as a unit file does', () => {
    const argv = FLAGS.filter((f) => f.defaultOnly).map((f) => `--${f.name}=${f.default}`)
    assert.ok(argv.includes('--force-new-cluster=false'))
    buildConfig(argv, {})
    buildConfig(
      ['--cors', '', '--host-whitelist', '', '--backend-batch-interval', '0', '--enable-v2=0', '--logger', 'zap'],
      {},
    )
  })

  it('stop the member naming the flag for any other value: command line, ETCD_* or config file', () => {
    refused(['--force-new-cluster'], {}, 'force-new-cluster')
    refused(['--enable-v2=true'], {}, 'enable-v2')
    refused(['--discovery-srv', 'example.com'], {}, 'discovery-srv')
    refused(['--backend-batch-limit', '100'], {}, 'backend-batch-limit')
    refused(['--cors', 'https://example.com'], {}, 'cors')
    refused(['--logger', 'capnslog'], {}, 'logger')
    refused([], { ETCD_ENABLE_PPROF: 'true' }, 'enable-pprof')
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsetcd-cfg-')), 'etcd.yml')
    fs.writeFileSync(file, 'name: a\nforce-new-cluster: true\n')
    refused(['--config-file', file], {}, 'force-new-cluster')
  })

  it('accepts both values of flags whose values all behave as etcd does here', () => {
    assert.equal(buildConfig(['--strict-reconfig-check=false'], {}).strictReconfigCheck, false)
    const auth = buildConfig(
      ['--auth-token', 'jwt,pub-key=a,priv-key=b,sign-method=RS256', '--bcrypt-cost', '4', '--auth-token-ttl', '7'],
      {},
    )
    assert.deepEqual(
      [auth.authToken, auth.bcryptCost, auth.authTokenTtl],
      ['jwt,pub-key=a,priv-key=b,sign-method=RS256', 4, 7],
    )
    buildConfig(['--experimental-enable-lease-checkpoint', '--experimental-enable-lease-checkpoint-persist'], {})
    assert.equal(buildConfig(['--initial-election-tick-advance=false'], {}).initialElectionTickAdvance, false)
    assert.equal(buildConfig(['--self-signed-cert-validity', '3'], {}).selfSignedCertValidity, 3)
  })
})
