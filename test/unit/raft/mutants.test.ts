/**
 * The short form of scripts/raft-mutants.mjs: every planted Raft bug must be
 * caught by the simulator's random schedules. The full form:
 *   npm run build && node scripts/raft-mutants.mjs --schedules 2000
 * RAFT_MUTANTS=0 skips this test (e.g. while iterating on one property).
 */
import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

const SCHEDULES = Number(process.env.RAFT_MUTANT_SCHEDULES ?? 600)

describe('raft: mutation check of the simulator', () => {
  it(`kills every planted bug with ${SCHEDULES} schedules`, function () {
    if (process.env.RAFT_MUTANTS === '0') this.skip()
    this.timeout(300_000)
    const res = spawnSync(
      process.execPath,
      [join(process.cwd(), 'scripts', 'raft-mutants.mjs'), '--schedules', String(SCHEDULES)],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    )
    const table = res.stdout.slice(res.stdout.indexOf('\nmutant'))
    assert.equal(res.status, 0, `${table}\n${res.stderr}`)
    assert.match(res.stdout, /(\d+)\/\1 mutants killed/)
  })
})
