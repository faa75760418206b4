/**
 * Fault runs against three real members: kill -9, SIGTERM, SIGSTOP, peer links cut through a
 * proxy, tiny --snapshot-count, with a linearizability check of everything the clients saw.
 *
 * Short form (npm test): FAULT_SCHEDULES (default 3) schedules of FAULT_STEPS (default 4)
 * faults. Long form: FAULT_SCHEDULES=100 npm run test:fault. FAULT_SEED=n replays from seed n
 * (schedule i uses seed n+i); FAULT_ARTIFACTS=dir keeps logs and history of failed runs;
 * FAULT_SNAPSHOT_COUNT=n overrides the schedule's --snapshot-count; FAULT_VERBOSE=1 logs each step.
 */
import { cleanUpRuns, runSchedule } from './run.js'
import { describeSchedule, makeSchedule } from './schedule.js'

const SCHEDULES = Number(process.env.FAULT_SCHEDULES ?? 3)
const STEPS = Number(process.env.FAULT_STEPS ?? 4)
const SEED = process.env.FAULT_SEED !== undefined ? Number(process.env.FAULT_SEED) : Math.floor(Math.random() * 2 ** 31)

describe('fault runs: three members under kill -9, SIGTERM, SIGSTOP and cut peer links', function () {
  before(() => console.log(`    fault runs from FAULT_SEED=${SEED} (${SCHEDULES} schedules of ${STEPS} faults)`))
  after(cleanUpRuns)

  for (let i = 0; i < SCHEDULES; i++) {
    const seed = SEED + i
    it(`schedule with seed ${seed} keeps acknowledged writes, converges and stays linearizable`, async function () {
      const schedule = makeSchedule(seed, STEPS)
      if (process.env.FAULT_SNAPSHOT_COUNT) schedule.snapshotCount = Number(process.env.FAULT_SNAPSHOT_COUNT)
      this.timeout(120000 + schedule.steps.reduce((t, s) => t + s.holdMs + s.gapMs + 30000, 0))
      const verbose = process.env.FAULT_VERBOSE !== undefined
      console.log(describeSchedule(schedule).replace(/^/gm, '      '))
      const r = await runSchedule(schedule, verbose ? (l) => console.log(`      ${l}`) : undefined)
      console.log(`      ${r.summary}`)
      if (r.failures.length > 0) {
        throw new Error(
          `FAULT_SEED=${seed} FAULT_SCHEDULES=1 FAULT_STEPS=${STEPS} to replay\n${describeSchedule(schedule)}\n\n` +
            `${r.failures.length} failure(s):\n${r.failures.map((f) => `- ${f}`).join('\n')}\n\n${r.logs}`,
        )
      }
    })
  }
})
