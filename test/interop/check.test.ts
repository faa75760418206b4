/**
 * check perf and check datascale: tsetcd's and etcdctl's, each against tsetcd, in the same run;
 * the lines' shapes (numbers aside) and the exit codes compared.
 */
import assert from 'node:assert/strict'
import { ETCDCTL, etcdVersion, run, runTsetcd, startTsetcd, type ServerProc } from '../helpers/procs.js'

/**
 * The report lines with their numbers blanked, after the progress bar. etcdctl's bar may
 * repaint a frame after its last newline, so a report line can follow a frame on the same
 * line: it is taken from where it starts.
 */
function shape(stdout: string): string[] {
  return stdout
    .split(/[\r\n]/)
    .map((l) => (/^ \d+ \/ \d+ /.test(l) ? l.replace(/^.*?(?=(PASS|FAIL)\b)/, '') : l))
    .filter((l) => l !== '' && !/^ \d+ \/ \d+ /.test(l))
    .map((l) => l.replace(/\d+(\.\d+)?/g, 'N'))
}

/** A frame of a bar that has counted all its steps: `60 / 60  100.00%`, then the run's time once finished. */
const FULL_FRAME = /^ (\d+) \/ \1 {2}100\.00%( (\d+m)?\d+s)?$/

/**
 * The progress bar's frames, each with its numbers blanked, less the frames of a full bar.
 * etcdctl counts the bar's seconds in a goroutine of its own and prints the report when the
 * last request is answered: when its sleeps have drifted past the run's deadline, it exits
 * before the bar's last frames are drawn. Those are checked against FULL_FRAME instead.
 */
function barFrames(stdout: string): Set<string> {
  return new Set(
    stdout
      .split(/[\r\n]/)
      .filter((l) => /^ \d+ \/ \d+ /.test(l) && !FULL_FRAME.test(l))
      // The time at the end (elapsed or left) is the run's wall clock: both runs share the
      // machine, one may end at 59.9 s ("59s") and the other at 60.1 s ("1m0s").
      .map((l) => l.replace(/ (\d+m)?\d+s$/, ' T').replace(/\d+/g, 'N')),
  )
}

describe('check perf / check datascale', function () {
  this.timeout(300000)
  let ts: ServerProc

  before(async function () {
    if (etcdVersion() === undefined) this.skip()
    ts = await startTsetcd()
  })
  after(async () => ts?.stop())

  it('check perf: same report lines and exit code as etcdctl, on a pass', async () => {
    const [ours, theirs] = await Promise.all([
      runTsetcd(['check', 'perf', '--endpoints', ts.endpoint, '--prefix', '/ours/'], { timeoutMs: 150000 }),
      run(ETCDCTL, ['check', 'perf', '--endpoints', ts.endpoint, '--prefix', '/theirs/'], { timeoutMs: 150000 }),
    ])
    assert.equal(theirs.code, 0, theirs.stdout)
    assert.equal(ours.code, theirs.code, ours.stdout + ours.stderr)
    assert.deepEqual(shape(ours.stdout), shape(theirs.stdout))
    assert.deepEqual(shape(ours.stdout), [
      'PASS: Throughput is N writes/s',
      'PASS: Slowest request took Ns',
      'PASS: Stddev is Ns',
      'PASS',
    ])
    for (const f of barFrames(ours.stdout)) assert.ok(barFrames(theirs.stdout).has(f), `bar frame ${f}`)
    // Ours draws its full bar with the time taken before the report, as pb does on Finish.
    const frames = ours.stdout.split(/\r/)
    const last = frames[frames.length - 1].split('\n')[0]
    assert.match(last, FULL_FRAME)
    assert.match(last, / (\d+m)?\d+s$/)
  })

  it('check datascale: same lines and exit code as etcdctl, and refuses a prefix with keys', async () => {
    const ours = await runTsetcd(['check', 'datascale', '--endpoints', ts.endpoint, '--auto-compact'], {
      timeoutMs: 150000,
    })
    const theirs = await run(ETCDCTL, ['check', 'datascale', '--endpoints', ts.endpoint, '--auto-compact'], {
      timeoutMs: 150000,
    })
    assert.equal(theirs.code, 0, theirs.stdout)
    assert.equal(ours.code, theirs.code, ours.stdout + ours.stderr)
    assert.deepEqual(shape(ours.stdout), shape(theirs.stdout))
    await runTsetcd(['put', '--endpoints', ts.endpoint, '/etcdctl-check-datascale/x', 'y'])
    const [o2, t2] = await Promise.all([
      runTsetcd(['check', 'datascale', '--endpoints', ts.endpoint]),
      run(ETCDCTL, ['check', 'datascale', '--endpoints', ts.endpoint]),
    ])
    assert.equal(o2.stderr, t2.stderr)
    assert.equal(o2.code, t2.code)
    for (const cmd of ['perf', 'datascale']) {
      const [o3, t3] = await Promise.all([
        runTsetcd(['check', cmd, '--endpoints', ts.endpoint, '--load', 'huge']),
        run(ETCDCTL, ['check', cmd, '--endpoints', ts.endpoint, '--load', 'huge']),
      ])
      assert.equal(o3.stderr, t3.stderr, cmd)
      assert.equal(o3.code, t3.code, cmd)
    }
  })
})
