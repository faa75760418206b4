// etcdctl's printerUnsupported: the base every non-simple format builds on.
// A method a format does not provide fails with "<format> not supported as
// output format" (exit 4); memberPromote, which etcdctl's RPC printer never
// implemented, dereferences a nil printer and panics in every format but simple.
import type { Printer, Output } from './printer.js'
import { ExitCode, exitWithError, nilPointerPanic, unsupportedFormat } from './exit-error.js'

export class UnsupportedPrinter implements Printer {
  constructor(readonly format: string) {}

  protected unsupported(): never {
    throw unsupportedFormat(this.format)
  }

  del(..._args: unknown[]): Output {
    return this.unsupported()
  }
  get(_r: unknown, opts?: { valueOnly?: boolean }): Output {
    rejectValueOnly(opts)
    return this.unsupported()
  }

  put(..._args: unknown[]): Output {
    return this.unsupported()
  }
  txn(..._args: unknown[]): Output {
    return this.unsupported()
  }
  watch(..._args: unknown[]): Output {
    return this.unsupported()
  }
  grant(..._args: unknown[]): Output {
    return this.unsupported()
  }
  revoke(..._args: unknown[]): Output {
    return this.unsupported()
  }
  keepAlive(..._args: unknown[]): Output {
    return this.unsupported()
  }
  timeToLive(..._args: unknown[]): Output {
    return this.unsupported()
  }
  leases(..._args: unknown[]): Output {
    return this.unsupported()
  }
  memberAdd(..._args: unknown[]): Output {
    return this.unsupported()
  }
  memberRemove(..._args: unknown[]): Output {
    return this.unsupported()
  }
  memberUpdate(..._args: unknown[]): Output {
    return this.unsupported()
  }
  memberPromote(..._args: unknown[]): Output {
    throw nilPointerPanic()
  }
  memberList(..._args: unknown[]): Output {
    return this.unsupported()
  }
  endpointHealth(..._args: unknown[]): Output {
    return this.unsupported()
  }
  endpointStatus(..._args: unknown[]): Output {
    return this.unsupported()
  }
  endpointHashKV(..._args: unknown[]): Output {
    return this.unsupported()
  }
  moveLeader(..._args: unknown[]): Output {
    return this.unsupported()
  }
  alarm(..._args: unknown[]): Output {
    return this.unsupported()
  }
  dbStatus(..._args: unknown[]): Output {
    return this.unsupported()
  }
  roleAdd(..._args: unknown[]): Output {
    return this.unsupported()
  }
  roleGet(..._args: unknown[]): Output {
    return this.unsupported()
  }
  roleDelete(..._args: unknown[]): Output {
    return this.unsupported()
  }
  roleList(..._args: unknown[]): Output {
    return this.unsupported()
  }
  roleGrantPermission(..._args: unknown[]): Output {
    return this.unsupported()
  }
  roleRevokePermission(..._args: unknown[]): Output {
    return this.unsupported()
  }
  userAdd(..._args: unknown[]): Output {
    return this.unsupported()
  }
  userGet(..._args: unknown[]): Output {
    return this.unsupported()
  }
  userList(..._args: unknown[]): Output {
    return this.unsupported()
  }
  userChangePassword(..._args: unknown[]): Output {
    return this.unsupported()
  }
  userGrantRole(..._args: unknown[]): Output {
    return this.unsupported()
  }
  userRevokeRole(..._args: unknown[]): Output {
    return this.unsupported()
  }
  userDelete(..._args: unknown[]): Output {
    return this.unsupported()
  }
}

/** `get --print-value-only` with any format but simple fails before printing. */
export function rejectValueOnly(opts?: { valueOnly?: boolean }): void {
  if (opts?.valueOnly) throw exitWithError(ExitCode.BadArgs, 'print-value-only is only for `--write-out=simple`')
}
