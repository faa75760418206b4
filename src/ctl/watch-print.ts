/**
 * etcdctl's printWatchCh: for each response of a watcher, a cancel notice on stderr, a
 * progress line, the response in the chosen output format, then the exec command once per
 * event. Returns when the watch ends.
 */
import { Errors } from '../errors/rpctypes.js'
import type { WatchResponse } from '../gen/etcdserverpb.js'
import { EtcdctlExit } from '../output/exit-error.js'
import { progressNotifyMessage, watchCanceledMessage } from '../output/messages.js'
import type { Output, Printer } from '../output/printer.js'
import { runWatchCommand, watchCommandError, watchEventEnv } from './watch-exec.js'
import type { Watch } from '../client/watch.js'

/** clientv3's WatchResponse.Err() text for a canceled response. */
export function watchErrorText(r: WatchResponse): string {
  if (r.compact_revision !== 0) return Errors.Compacted.message
  if (r.cancel_reason !== '') return r.cancel_reason
  return Errors.FutureRev.message
}

/** clientv3's IsProgressNotify. */
export function isProgressNotify(r: WatchResponse): boolean {
  return (
    r.events.length === 0 && !r.canceled && !r.created && r.compact_revision === 0 && (r.header?.revision ?? 0) !== 0
  )
}

export interface WatchPrintSink {
  stdout(text: string | Buffer): void
  stderr(text: string): void
  emit(o: Output): void
}

/** Prints the watcher's responses until it ends; rejects with exit 1 when the command fails. */
export async function printWatch(
  watch: Watch,
  printer: Printer,
  execArgs: readonly string[],
  out: WatchPrintSink,
): Promise<void> {
  for await (const r of watch) {
    if (r.canceled) out.stderr(watchCanceledMessage(watchErrorText(r)))
    if (isProgressNotify(r)) out.stdout(progressNotifyMessage(r.header!.revision))
    out.emit(printer.watch(r))
    if (execArgs.length === 0) continue
    for (const ev of r.events) {
      const err = await runWatchCommand(execArgs, watchEventEnv(r.header?.revision ?? 0, ev))
      if (err !== undefined) throw new EtcdctlExit(1, err, watchCommandError(execArgs, err))
    }
  }
}
