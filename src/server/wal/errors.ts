/** Errors the WAL throws. All extend `WalError`. */

export class WalError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WalError'
  }
}

/** Damage that is not a torn tail: data that had been made durable is unreadable. */
export class WalCorruptError extends WalError {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`wal: corrupt log in ${file} at offset ${offset}: ${reason}`)
    this.name = 'WalCorruptError'
  }
}

/** Another live process (or another WAL instance in this one) holds the WAL directory. */
export class WalLockedError extends WalError {
  constructor(
    readonly dir: string,
    readonly holder: string,
  ) {
    super(`wal: ${dir} is locked by ${holder}`)
    this.name = 'WalLockedError'
  }
}

/** The snapshot the caller opens at has no marker in the WAL, or its segments were purged. */
export class WalSnapshotNotFoundError extends WalError {
  constructor(message: string) {
    super(`wal: ${message}`)
    this.name = 'WalSnapshotNotFoundError'
  }
}

export class WalExistsError extends WalError {
  constructor(readonly dir: string) {
    super(`wal: ${dir} already holds a WAL`)
    this.name = 'WalExistsError'
  }
}

export class WalNotFoundError extends WalError {
  constructor(readonly dir: string) {
    super(`wal: no WAL segments in ${dir}`)
    this.name = 'WalNotFoundError'
  }
}

/** A write or fdatasync failed; the WAL accepts no more saves (the process should stop). */
export class WalFailedError extends WalError {
  constructor(cause: unknown) {
    super(`wal: a write failed, the log is unusable: ${cause instanceof Error ? cause.message : String(cause)}`)
    this.name = 'WalFailedError'
    this.cause = cause
  }
}
