/**
 * A script of KV commands in etcdctl's syntax, run step by step against a server by one
 * client binary. Running it with the same client against a real etcd and against tsetcd (or
 * with etcdctl and with tsetcd's client against a real etcd) must give identical results.
 */
import { run, userStderr, type RunResult } from '../helpers/procs.js'

export interface Step {
  args: string[]
  input?: string
}

const big = 'x'.repeat(1572864 + 100)
const manyOps = Array.from({ length: 129 }, (_, i) => `put k${i} v`).join('\n')
/** 60 puts of 20,000-byte values in one txn (1.2 MB, under the request limit). */
const largePuts = (from: number): string =>
  Array.from({ length: 60 }, (_, i) => `put large/${from + i} ${'v'.repeat(20000)}`).join('\n')

export const KV_SCRIPT: Step[] = [
  { args: ['put', 'foo', 'bar'] },
  { args: ['get', 'foo'] },
  { args: ['get', 'foo', '-w', 'json'] },
  { args: ['put', 'foo', 'bar2', '--prev-kv'] },
  { args: ['put', 'foo', 'bar3', '--prev-kv', '-w', 'json'] },
  { args: ['put', 'foo1', 'a'] },
  { args: ['put', 'foo2', 'b'] },
  { args: ['put', 'fop', 'c'] },
  { args: ['put', 'zoo', 'z'] },
  { args: ['put', 'binary\u00ff', 'v\u0001'] },
  { args: ['put', 'fromstdin'], input: 'value from stdin\nsecond line' },
  { args: ['get', 'fromstdin'] },
  { args: ['get', 'foo', '-w', 'fields'] },
  { args: ['get', 'foo', '-w', 'protobuf'] },
  { args: ['get', 'foo', '--hex'] },
  { args: ['get', 'foo', '--prefix'] },
  { args: ['get', 'foo', '--prefix', '--limit', '2', '-w', 'json'] },
  { args: ['get', 'foo', '--prefix', '--limit=2', '-w', 'fields'] },
  { args: ['get', 'foo', '--from-key'] },
  { args: ['get', '', '--prefix', '--keys-only'] },
  { args: ['get', '', '--from-key', '--limit', '3'] },
  { args: ['get', 'foo', '--prefix', '--sort-by=VALUE', '--order=DESCEND'] },
  { args: ['get', 'foo', '--prefix', '--sort-by=MODIFY', '--order=ASCEND', '-w', 'json'] },
  { args: ['get', 'foo', '--prefix', '--sort-by=CREATE', '--order=DESCEND', '--limit', '1'] },
  { args: ['get', 'foo', '--prefix', '--sort-by=VERSION'] },
  // A sort target other than the key with no order and a limit: etcd sorts only the first
  // limit+1 keys in key order (s/c, the oldest and smallest, is third).
  { args: ['put', 's/c', '0'] },
  { args: ['put', 's/a', '5'] },
  { args: ['put', 's/b', '7'] },
  { args: ['get', 's/', '--prefix', '--sort-by=MODIFY', '--limit', '1'] },
  { args: ['get', 's/', '--prefix', '--sort-by=VALUE', '--limit', '1', '-w', 'json'] },
  { args: ['get', 's/', '--prefix', '--sort-by=CREATE', '--order=ASCEND', '--limit', '1'] },
  { args: ['get', 'foo', '--prefix', '--print-value-only'] },
  { args: ['get', 'foo', 'zoo'] },
  { args: ['get', 'foo', '--rev=2'] },
  { args: ['get', 'foo', '--rev', '3', '-w', 'json'] },
  { args: ['get', 'foo', '--consistency=s'] },
  { args: ['get', 'nothing-here', '-w', 'json'] },
  { args: ['get', ''] },
  { args: ['get', 'foo', '--rev=1000'] },
  { args: ['get'] },
  { args: ['get', 'foo', '--prefix', '--from-key'] },
  { args: ['get', 'foo', '--consistency=x'] },
  { args: ['get', 'foo', '--sort-by=x'] },
  { args: ['get', 'foo', '--order=x'] },
  { args: ['get', 'foo', '-w', 'table'] },
  { args: ['get', 'foo', '--print-value-only', '-w', 'json'] },
  { args: ['del', 'foo1'] },
  { args: ['del', 'foo1'] },
  { args: ['del', 'fo', '--prefix', '--prev-kv', '-w', 'json'] },
  { args: ['del', 'a', 'b'] },
  { args: ['del'] },
  { args: ['put', 'foo', 'again'] },
  { args: ['put', 'missing', '--ignore-value'] },
  { args: ['put', 'foo', '--ignore-value'] },
  { args: ['put', 'foo', 'x', '--ignore-value'] },
  { args: ['put', ''], input: 'v' },
  { args: ['txn', '-w', 'json'], input: 'value("foo") = "again"\n\nput foo txn1\nget foo\n\nput foo nope\n\n' },
  {
    args: ['txn'],
    input: 'mod("foo") > "1000"\n\nput foo nope\n\nget foo\ndel zoo\nput "quoted key" "quoted value"\n\n',
  },
  { args: ['txn', '-i'], input: 'version("foo") != "0"\ncreate("foo") < "100"\n\nget foo --prefix\n\n\n' },
  { args: ['txn'], input: 'value("foo") = "x"\n\n\n' },
  { args: ['txn'], input: 'bogus compare\n\n\n' },
  { args: ['txn'], input: '\nput dup 1\nput dup 2\n\n\n' },
  { args: ['txn'], input: '\n' + manyOps + '\n\n\n' },
  { args: ['get', '', '--from-key', '-w', 'json'] },
  { args: ['txn'], input: '\n' + largePuts(100) + '\n\n\n' },
  { args: ['txn'], input: '\n' + largePuts(200) + '\n\n\n' },
  // A 2.4 MB answer: etcdctl pings to size its window while it streams in.
  { args: ['get', 'large/', '--prefix'] },
  { args: ['del', 'large/', '--prefix'] },
  { args: ['put', 'big'], input: big },
  { args: ['compaction', '5'] },
  { args: ['compaction', '5'] },
  { args: ['compaction', '3'] },
  { args: ['get', 'foo', '--rev=4'] },
  { args: ['compaction', '100000'] },
  { args: ['compaction', 'abc'] },
  { args: ['compaction'] },
  { args: ['get', '', '--prefix', '-w', 'json'] },
]

export interface StepResult {
  args: string
  stdout: string
  stderr: string
  code: number | null
}

export async function runScript(
  client: (args: string[]) => [string, string[]],
  endpoint: string,
  steps: Step[],
): Promise<StepResult[]> {
  const out: StepResult[] = []
  for (const s of steps) {
    const [cmd, args] = client(['--endpoints', endpoint, ...s.args])
    const r: RunResult = await run(cmd, args, { input: s.input })
    if (process.env.KV_SCRIPT_DEBUG) console.log(r.code, s.args.join(' ').slice(0, 60), r.stderr.slice(0, 400))
    out.push({
      args: s.args.join(' ').slice(0, 80),
      stdout: r.stdoutBytes.toString('latin1'),
      stderr: userStderr(r.stderr),
      code: r.code,
    })
  }
  return out
}
