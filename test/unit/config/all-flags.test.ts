import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildConfig } from '../../../src/server/config/config.js'
import { FLAG_BY_NAME, envName } from '../../../src/server/config/flags.js'
import { defaultArgs, etcdFlags } from '../../helpers/etcd-flags.js'

describe('config: every flag of etcd 3.4, 3.5 and 3.6', () => {
  for (const v of ['3.4', '3.5', '3.6'] as const) {
    it(`${v}: each flag is defined and starts at its default (command line, ETCD_*, config file)`, () => {
      const names = etcdFlags(v)
      const missing = names.filter((n) => !FLAG_BY_NAME.has(n))
      assert.deepEqual(missing, [], `flags of etcd ${v} tsetcd does not define`)
      const cfg = buildConfig(defaultArgs(names), {})
      assert.equal(cfg.name, 'default')
      assert.equal(cfg.version, false)
      const env = Object.fromEntries(
        names.filter((n) => n !== 'config-file').map((n) => [envName(n), FLAG_BY_NAME.get(n)!.default]),
      )
      buildConfig([], env)
      const yaml = names
        .filter((n) => n !== 'config-file' && n !== 'version')
        .map((n) => {
          const d = FLAG_BY_NAME.get(n)!
          const v =
            d.type === 'bool'
              ? d.default
              : d.type === 'int' || d.type === 'uint'
                ? d.default
                : JSON.stringify(d.default)
          return `${n}: ${v}`
        })
        .join('\n')
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsetcd-all-flags-')), 'etcd.yml')
      fs.writeFileSync(file, yaml + '\n')
      buildConfig(['--config-file', file], {})
    })
  }

  it("3.6's un-prefixed names set their experimental flag; the experimental one wins", () => {
    assert.equal(buildConfig(['--compaction-batch-limit=7'], {}).compactionBatchLimit, 7)
    assert.equal(buildConfig(['--warning-apply-duration=1s'], {}).warningApplyDurationMs, 1000)
    assert.equal(buildConfig(['--watch-progress-notify-interval=1m'], {}).watchProgressNotifyIntervalMs, 60000)
    assert.equal(
      buildConfig(['--compaction-batch-limit=7', '--experimental-compaction-batch-limit=9'], {}).compactionBatchLimit,
      9,
    )
    assert.equal(buildConfig(['--corrupt-check-time=1m'], {}).corruptCheckTimeMs, 60000)
  })

  it('takes the initial and the periodic corruption check', () => {
    assert.equal(buildConfig(['--experimental-initial-corrupt-check'], {}).initialCorruptCheck, true)
    assert.equal(buildConfig([], {}).initialCorruptCheck, false)
    assert.equal(buildConfig(['--experimental-corrupt-check-time=5m'], {}).corruptCheckTimeMs, 300000)
    assert.equal(buildConfig([], {}).corruptCheckTimeMs, 0)
  })

  it('--version is a flag; ETCD_VERSION is ignored with a warning, as etcd does', () => {
    assert.equal(buildConfig(['--version'], {}).version, true)
    const cfg = buildConfig([], { ETCD_VERSION: 'true' })
    assert.equal(cfg.version, false)
    assert.ok(cfg.warnings.some((w) => /cannot set special environment variable ETCD_VERSION/.test(w)))
  })

  it("3.4's --log-output stands for --log-outputs", () => {
    assert.deepEqual(buildConfig(['--log-output=stdout'], {}).logOutputs, ['stdout'])
    assert.deepEqual(buildConfig(['--log-output=stdout', '--log-outputs=stderr'], {}).logOutputs, ['stderr'])
  })

  it('refuses an unknown --v2-deprecation stage and an out-of-range --max-concurrent-streams', () => {
    assert.throws(() => buildConfig(['--v2-deprecation=later'], {}), /invalid value "later" for flag -v2-deprecation/)
    assert.throws(
      () => buildConfig(['--max-concurrent-streams=4294967296'], {}),
      /-max-concurrent-streams: value out of range/,
    )
    assert.equal(buildConfig(['--max-concurrent-streams=10'], {}).maxConcurrentStreams, 10)
  })
})
