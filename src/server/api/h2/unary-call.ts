/**
 * A unary call: the handler starts on the first (only) request message, without waiting for
 * the client's half-close, and answers through its callback. No EventEmitter: listeners
 * for 'cancelled' are the only events such a call has.
 */
import { CallBase, UNDECODABLE } from './call.js'
import { Status, status } from './status.js'
import type { ServerUnaryCall } from './types.js'

export class UnaryCall extends CallBase implements ServerUnaryCall<unknown> {
  request: unknown = undefined
  private received = false

  onMessage(message: Buffer): void {
    if (this.received) {
      this.finish(status(Status.UNIMPLEMENTED, `Received a second request message for unary method ${this.route.path}`))
      return
    }
    this.received = true
    const request = this.deserialize(message)
    if (request === UNDECODABLE) return
    this.request = request
    this.invoke(this.unaryCallback())
  }

  protected onHalfClose(): void {
    if (!this.received)
      this.finish(status(Status.UNIMPLEMENTED, `Received no request message for unary method ${this.route.path}`))
  }

  protected onFinished(): void {}
}
