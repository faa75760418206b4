// etcdctl's `txn` input (ctlv3/command/txn_command.go): three sections, each
// ended by an empty line — compares, success requests, failure requests.
//
//   mod("key1") > "0"            target(key) op value; targets: ver|version,
//                                c|create, m|mod, val|value, lease; ops: = != > <
//   <empty line>
//   put key1 "some value"        get/put/del with their command-line flags
//   <empty line>
//   get key1 --prefix
//   <empty line>
//
// Errors are etcdctl's, with its exit codes (EtcdctlExit), including its
// quirks: a lease comparison always panics ("bad value"), an unknown operator
// panics ("Unknown result op"), and a 'single-quoted' argument is cut to
// len(arguments)-1 bytes (or panics when that is out of range).
import type {
  CompareInit,
  RequestOpInit,
  TxnRequestInit,
  RangeRequestInit,
  PutRequestInit,
  DeleteRangeRequestInit,
} from '../gen/etcdserverpb.js'
import { Compare_CompareResult as Result, Compare_CompareTarget as Target } from '../gen/etcdserverpb.js'
import { EtcdctlExit, ExitCode, exitWithError, goPanic } from '../output/exit-error.js'
import { sscanf } from '../go/scan.js'
import { parseInt64, quote } from '../go/strconv.js'
import { trimSpace } from '../go/unicode.js'
import { dispatch, type CommandSpec, type FlagValue } from '../go/cobra.js'
import { prefixEnd } from '../client/kv-ops.js'
import { TXN_REQUEST_USAGE } from './txn-usage.js'

/** What `txn --interactive` prints before reading each section. */
export const TXN_PROMPTS = {
  compares: 'compares:',
  success: 'success requests (get, put, del):',
  failure: 'failure requests (get, put, del):',
} as const

export interface TxnGrammarOptions {
  /**
   * `put <key>` without a value makes etcdctl read the value from the rest of
   * stdin, which its line reader has normally consumed already; return the
   * value if there is one. By default the line fails as in etcdctl
   * ("put command needs 1 argument and input from stdin or 2 arguments").
   */
  readPutValue?: () => string | undefined
}

const invalid = (msg: string): EtcdctlExit => exitWithError(ExitCode.InvalidInput, msg)
const badArgs = (msg: string): EtcdctlExit => exitWithError(ExitCode.BadArgs, msg)

// Arguments are Go strings (bytes); they are held as binary (latin1) JS strings.
const bin = (b: Uint8Array): string => Buffer.from(b).toString('latin1')
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1')
const text = (s: string): string => bytes(s).toString('utf8')

const RESULTS: Record<string, number> = {
  '=': Result.EQUAL,
  '!=': Result.NOT_EQUAL,
  '>': Result.GREATER,
  '<': Result.LESS,
}

function result(op: string): number {
  const r = RESULTS[op]
  if (r === undefined) throw goPanic('Unknown result op')
  return r
}

/** One compare line (already trimmed). */
export function parseCompare(line: string): CompareInit {
  const p = line.indexOf('(')
  if (p < 0) throw invalid(`malformed comparison: ${line}`)
  const target = line.slice(0, p)
  const s = sscanf(line.slice(p + 1), '%q) %s %q', 3)
  const [key, op, val] = [0, 1, 2].map((i) => s.values[i] ?? Buffer.alloc(0))
  if (s.n !== 3)
    throw invalid(`malformed comparison: ${line}; got ${target}(${quote(key)}) ${op.toString('utf8')} ${quote(val)}`)
  const opText = op.toString('utf8')
  const int = (): number => {
    const v = parseInt64(bin(val), 10)
    if (v.err !== undefined) throw invalid(`invalid txn compare request: ${line}`)
    return Number(v.value)
  }
  switch (target) {
    case 'ver':
    case 'version': {
      const v = int()
      return { result: result(opText), target: Target.VERSION, key, version: v }
    }
    case 'c':
    case 'create': {
      const v = int()
      return { result: result(opText), target: Target.CREATE, key, create_revision: v }
    }
    case 'm':
    case 'mod': {
      const v = int()
      return { result: result(opText), target: Target.MOD, key, mod_revision: v }
    }
    case 'val':
    case 'value':
      return { result: result(opText), target: Target.VALUE, key, value: val }
    case 'lease':
      result(opText)
      throw goPanic('bad value')
    default:
      throw invalid(`malformed comparison: ${line} (unknown target ${target})`)
  }
}

const ARG = /"(?:[^"\\]|\\.)*"|'[^']*'|[^'"\t\n\f\r ][^\t\n\f\r ]*[^'"\t\n\f\r ]?/g

/** etcdctl's argify: split a request line into arguments (binary strings). */
export function argify(line: string): string[] {
  const tokens = line.match(ARG) ?? []
  return tokens.map((t) => {
    if (t[0] === "'") {
      const b = Buffer.from(t, 'utf8')
      const high = tokens.length - 1
      if (high > b.length) throw goPanic(`runtime error: slice bounds out of range [:${high}] with length ${b.length}`)
      if (high < 1) throw goPanic(`runtime error: slice bounds out of range [1:${high}]`)
      return bin(b.subarray(1, high))
    }
    if (t[0] === '"') {
      const s = sscanf(t, '%q', 1)
      if (s.err !== undefined) throw invalid(s.err)
      return bin(s.values[0])
    }
    return bin(Buffer.from(t, 'utf8'))
  })
}

const GET: CommandSpec = {
  name: 'get',
  flags: [
    { name: 'consistency', kind: 'string', def: 'l' },
    { name: 'order', kind: 'string', def: '' },
    { name: 'sort-by', kind: 'string', def: '' },
    { name: 'limit', kind: 'int64', def: 0n },
    { name: 'prefix', kind: 'bool', def: false },
    { name: 'from-key', kind: 'bool', def: false },
    { name: 'rev', kind: 'int64', def: 0n },
    { name: 'keys-only', kind: 'bool', def: false },
    { name: 'print-value-only', kind: 'bool', def: false },
  ],
}
const PUT: CommandSpec = {
  name: 'put',
  flags: [
    { name: 'lease', kind: 'string', def: '0' },
    { name: 'prev-kv', kind: 'bool', def: false },
    { name: 'ignore-value', kind: 'bool', def: false },
    { name: 'ignore-lease', kind: 'bool', def: false },
  ],
}
const DEL: CommandSpec = {
  name: 'del',
  flags: [
    { name: 'prefix', kind: 'bool', def: false },
    { name: 'prev-kv', kind: 'bool', def: false },
    { name: 'from-key', kind: 'bool', def: false },
  ],
}

type Flags = Record<string, FlagValue>

const SORT_ORDER: Record<string, number> = { ASCEND: 1, DESCEND: 2, '': 0 }
const SORT_TARGET: Record<string, number> = { CREATE: 2, KEY: 0, MODIFY: 3, VALUE: 4, VERSION: 1, '': 0 }
const NUL = Buffer.from([0])

/** getGetOp + clientv3.OpGet */
function getOp(args: string[], f: Flags): RangeRequestInit {
  if (args.length === 0) throw badArgs('get command needs one argument as key and an optional argument as range_end')
  if (f.prefix && f['from-key']) throw badArgs('`--prefix` and `--from-key` cannot be set at the same time, choose one')
  const req: RangeRequestInit = {}
  const consistency = f.consistency as string
  if (consistency === 's') req.serializable = true
  else if (consistency !== 'l')
    throw exitWithError(ExitCode.BadFeature, `unknown consistency flag ${quote(bytes(consistency))}`)
  let key = bytes(args[0])
  if (args.length > 1) {
    if (f.prefix || f['from-key'])
      throw badArgs('too many arguments, only accept one argument when `--prefix` or `--from-key` is set')
    req.range_end = bytes(args[1])
  }
  req.limit = Number(f.limit)
  if ((f.rev as bigint) > 0n) req.revision = Number(f.rev)
  const order = SORT_ORDER[text(f.order as string).toUpperCase()]
  if (order === undefined) throw exitWithError(ExitCode.BadFeature, `bad sort order ${text(f.order as string)}`)
  const target = SORT_TARGET[text(f['sort-by'] as string).toUpperCase()]
  if (target === undefined) throw exitWithError(ExitCode.BadFeature, `bad sort target ${text(f['sort-by'] as string)}`)
  req.sort_target = target
  req.sort_order = target === 0 && order === 1 ? 0 : order
  if (f.prefix) {
    if (key.length === 0) {
      key = NUL
      req.range_end = NUL
    } else {
      req.range_end = prefixEnd(key)
    }
  }
  if (f['from-key']) {
    if (key.length === 0) key = NUL
    req.range_end = NUL
  }
  if (f['keys-only']) req.keys_only = true
  req.key = key
  return req
}

/** getPutOp + clientv3.OpPut */
function putOp(args: string[], f: Flags, opts: TxnGrammarOptions): PutRequestInit {
  const need = 'put command needs 1 argument and input from stdin or 2 arguments'
  if (args.length === 0) throw badArgs(need)
  if (f['ignore-value'] && args.length > 1)
    throw badArgs("put command needs only 1 argument when 'ignore-value' is set")
  let value: Buffer = Buffer.alloc(0)
  if (!f['ignore-value']) {
    if (args.length > 1) value = bytes(args[1])
    else {
      const v = opts.readPutValue?.()
      if (v === undefined || v === '') throw badArgs(need)
      value = Buffer.from(v, 'utf8')
    }
  }
  const id = parseInt64(text(f.lease as string), 16)
  if (id.err !== undefined) throw badArgs(`bad lease ID (${id.err}), expecting ID in Hex`)
  const req: PutRequestInit = { key: bytes(args[0]), value }
  if (id.value !== 0n) req.lease = id.value
  if (f['prev-kv']) req.prev_kv = true
  if (f['ignore-value']) req.ignore_value = true
  if (f['ignore-lease']) req.ignore_lease = true
  return req
}

/** getDelOp + clientv3.OpDelete */
function delOp(args: string[], f: Flags): DeleteRangeRequestInit {
  if (args.length === 0 || args.length > 2)
    throw badArgs('del command needs one argument as key and an optional argument as range_end')
  if (f.prefix && f['from-key']) throw badArgs('`--prefix` and `--from-key` cannot be set at the same time, choose one')
  let key = bytes(args[0])
  const req: DeleteRangeRequestInit = {}
  if (args.length > 1) {
    if (f.prefix || f['from-key'])
      throw badArgs('too many arguments, only accept one argument when `--prefix` or `--from-key` is set')
    req.range_end = bytes(args[1])
  }
  if (f.prefix) {
    if (key.length === 0) {
      key = NUL
      req.range_end = NUL
    } else {
      req.range_end = prefixEnd(key)
    }
  }
  if (f['prev-kv']) req.prev_kv = true
  if (f['from-key']) {
    if (key.length === 0) key = NUL
    req.range_end = NUL
  }
  req.key = key
  return req
}

/** One request line (already trimmed): etcdctl's parseRequestUnion. */
export function parseRequestOp(line: string, opts: TxnGrammarOptions = {}): RequestOpInit {
  const args = argify(line)
  if (args.length < 2) throw invalid(`invalid txn compare request: ${line}`)
  const d = dispatch(args, [PUT, GET, DEL])
  const bad = `invalid txn request: ${line}`
  switch (d.kind) {
    case 'run':
      if (d.command === 'get') return { request_range: getOp(d.args, d.flags) }
      if (d.command === 'put') return { request_put: putOp(d.args, d.flags, opts) }
      return { request_delete_range: delOp(d.args, d.flags) }
    case 'flag-error':
      throw new EtcdctlExit(ExitCode.InvalidInput, bad, TXN_REQUEST_USAGE[d.command] + `Error: ${bad}\n`)
    case 'unknown-command':
      throw invalid(bad)
    case 'help':
      // etcdctl prints cobra's help and then blocks forever waiting for a request.
      throw invalid(bad)
  }
}

export type TxnSection = 'compares' | 'success' | 'failure' | 'done'

/**
 * Reads txn input line by line, as etcdctl's bufio.Reader does, so an
 * interactive command can print TXN_PROMPTS[reader.section] before each
 * section and report an error as soon as the offending line arrives.
 */
export class TxnReader {
  section: TxnSection = 'compares'
  private readonly compare: CompareInit[] = []
  private readonly success: RequestOpInit[] = []
  private readonly failure: RequestOpInit[] = []

  constructor(private readonly opts: TxnGrammarOptions = {}) {}

  /** A complete line (newline included or not). Throws EtcdctlExit on bad input. */
  pushLine(raw: string): void {
    const line = trimSpace(raw)
    if (this.section === 'done') return
    if (line.length === 0) {
      this.section = this.section === 'compares' ? 'success' : this.section === 'success' ? 'failure' : 'done'
      return
    }
    if (this.section === 'compares') this.compare.push(parseCompare(line))
    else (this.section === 'success' ? this.success : this.failure).push(parseRequestOp(line, this.opts))
  }

  /** Input ended (a trailing partial line counts as none): etcdctl's "Error: EOF" unless all three sections ended. */
  end(): TxnRequestInit {
    if (this.section !== 'done') throw invalid('EOF')
    return this.request()
  }

  request(): TxnRequestInit {
    return { compare: this.compare, success: this.success, failure: this.failure }
  }
}

/** The whole of stdin at once. */
export function parseTxn(input: string, opts: TxnGrammarOptions = {}): TxnRequestInit {
  const r = new TxnReader(opts)
  const lines = input.split('\n')
  lines.pop() // text after the last newline is not a line: ReadString hits EOF there
  for (const l of lines) {
    if (r.section === 'done') break
    r.pushLine(l)
  }
  return r.end()
}
