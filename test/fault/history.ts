/**
 * The recorded history of a fault run: one entry per client operation, with its invocation
 * and response times on one monotonic clock (ms since the recorder started). An operation
 * whose outcome the client does not know (deadline exceeded, connection lost) has response
 * time +Infinity and no output: it may or may not have taken effect.
 */
import { performance } from 'node:perf_hooks'

export type Input =
  | { kind: 'put'; value: string }
  | { kind: 'get' }
  /** Txn: if value(key) == expect (null: the key is absent, create_revision == 0) then put(key, value). */
  | { kind: 'cas'; expect: string | null; value: string }
  | { kind: 'delete' }

export type Output =
  | { kind: 'put' }
  | { kind: 'get'; value: string | null }
  | { kind: 'cas'; succeeded: boolean }
  | { kind: 'delete'; deleted: number }

export interface Operation {
  id: number
  client: number
  key: string
  input: Input
  /** Invocation time (ms, monotonic). */
  call: number
  /** Response time; Infinity when the outcome is unknown. */
  ret: number
  /** Absent when the outcome is unknown. */
  output?: Output
  /** The store revision in the response header (writes: the revision they created). */
  revision?: number
  /** Why the outcome is unknown. */
  error?: string
  /** The member the client sent the request to. */
  endpoint?: string
  /** How an unknown outcome was settled from the cluster's history, for reports. */
  resolved?: string
}

export class HistoryRecorder {
  private readonly t0 = performance.now()
  private nextId = 0
  readonly ops: Operation[] = []

  now(): number {
    return performance.now() - this.t0
  }

  /** Records the invocation; complete it with ok() or unknown(). */
  invoke(client: number, key: string, input: Input, endpoint?: string): Operation {
    const op: Operation = { id: this.nextId++, client, key, input, call: this.now(), ret: Infinity, endpoint }
    this.ops.push(op)
    return op
  }

  ok(op: Operation, output: Output, revision?: number): void {
    op.ret = this.now()
    op.output = output
    op.revision = revision
  }

  unknown(op: Operation, error: string): void {
    op.ret = Infinity
    op.error = error
  }
}

/** A write the cluster acknowledged: a put, a CAS that succeeded, a delete that deleted. */
export function isAcknowledgedWrite(op: Operation): boolean {
  const o = op.output
  if (o === undefined) return false
  return o.kind === 'put' || (o.kind === 'cas' && o.succeeded) || (o.kind === 'delete' && o.deleted > 0)
}

export function describeInput(i: Input): string {
  switch (i.kind) {
    case 'put':
      return `put(${JSON.stringify(i.value)})`
    case 'get':
      return 'get()'
    case 'cas':
      return `cas(${i.expect === null ? 'absent' : JSON.stringify(i.expect)} → ${JSON.stringify(i.value)})`
    case 'delete':
      return 'delete()'
  }
}

export function describeOutput(op: Operation): string {
  const o = op.output
  if (o === undefined) return `unknown${op.error ? ` (${op.error})` : ''}`
  switch (o.kind) {
    case 'put':
      return 'ok'
    case 'get':
      return o.value === null ? 'absent' : JSON.stringify(o.value)
    case 'cas':
      return o.succeeded ? 'succeeded' : 'failed'
    case 'delete':
      return `deleted ${o.deleted}`
  }
}

export function describeOp(op: Operation): string {
  const ret = op.ret === Infinity ? '∞' : op.ret.toFixed(1)
  const rev = op.revision !== undefined ? ` rev ${op.revision}` : ''
  const ep = op.endpoint ? ` via ${op.endpoint}` : ''
  const how = op.resolved ? ` (${op.resolved})` : ''
  return `#${op.id} c${op.client} [${op.call.toFixed(1)}, ${ret}] ms ${op.key}: ${describeInput(op.input)} → ${describeOutput(op)}${rev}${how}${ep}`
}
