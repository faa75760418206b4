/** A problem with the caller's input or files, worded for the person who ran the command. */
export class PkiError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PkiError'
  }
}
