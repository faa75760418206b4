/** A TLS setting that stops the member at start-up; the message names the flag or file. */
export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TlsConfigError'
  }
}
