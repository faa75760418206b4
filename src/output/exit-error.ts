// How etcdctl ends a command that fails: ExitWithError prints "Error: <msg>"
// to stderr and exits with one of these codes; a Go panic exits with 2.

export const ExitCode = {
  Success: 0,
  Error: 1,
  BadConnection: 2,
  InvalidInput: 3,
  BadFeature: 4,
  Interrupted: 5,
  IO: 6,
  BadArgs: 128,
} as const

/** A failure etcdctl reports on stderr before exiting with `exitCode` (nothing more goes to stdout). */
export class EtcdctlExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    /** Exactly what etcdctl writes to stderr. */
    readonly stderr: string = `Error: ${message}\n`,
  ) {
    super(message)
    this.name = 'EtcdctlExit'
  }
}

/** ExitWithError(code, err) */
export function exitWithError(code: number, message: string): EtcdctlExit {
  return new EtcdctlExit(code, message)
}

/**
 * A Go runtime panic: "panic: <msg>" then a goroutine trace (which cannot be
 * reproduced and is reduced to its first line), exit status 2.
 */
export function goPanic(message: string): EtcdctlExit {
  return new EtcdctlExit(2, message, `panic: ${message}\n\ngoroutine 1 [running]:\n`)
}

/** What etcdctl prints for an output format a command's printer lacks. */
export function unsupportedFormat(format: string): EtcdctlExit {
  return exitWithError(ExitCode.BadFeature, `${format} not supported as output format`)
}

/** A nil pointer dereference in etcdctl (e.g. a printer method it never implemented, or a missing header). */
export function nilPointerPanic(): EtcdctlExit {
  return new EtcdctlExit(
    2,
    'runtime error: invalid memory address or nil pointer dereference',
    'panic: runtime error: invalid memory address or nil pointer dereference\n' +
      '[signal SIGSEGV: segmentation violation code=0x1 addr=0x78 pc=0x0]\n\ngoroutine 1 [running]:\n',
  )
}
