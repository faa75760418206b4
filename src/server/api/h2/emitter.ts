/**
 * A small event emitter for call objects: EventEmitter's listener methods without its
 * per-instance set-up, since most calls never get a listener. Unlike EventEmitter, an
 * 'error' nobody listens to does not throw: calls turn errors into statuses themselves.
 */
type Listener = (...args: any[]) => void // eslint-disable-line @typescript-eslint/no-explicit-any

interface OnceWrapper extends Listener {
  listener: Listener
}

export class CallEmitter {
  private listenersByEvent: Map<string, Listener[]> | null = null

  on(event: string, listener: Listener): this {
    const m = (this.listenersByEvent ??= new Map())
    const list = m.get(event)
    if (list === undefined) m.set(event, [listener])
    else list.push(listener)
    this.listenerAdded(event)
    return this
  }

  addListener(event: string, listener: Listener): this {
    return this.on(event, listener)
  }

  prependListener(event: string, listener: Listener): this {
    const m = (this.listenersByEvent ??= new Map())
    const list = m.get(event)
    if (list === undefined) m.set(event, [listener])
    else list.unshift(listener)
    this.listenerAdded(event)
    return this
  }

  once(event: string, listener: Listener): this {
    const wrapper = ((...args: unknown[]) => {
      this.removeListener(event, wrapper)
      listener.apply(this, args)
    }) as OnceWrapper
    wrapper.listener = listener
    return this.on(event, wrapper)
  }

  removeListener(event: string, listener: Listener): this {
    const list = this.listenersByEvent?.get(event)
    if (list === undefined) return this
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || (list[i] as OnceWrapper).listener === listener) {
        list.splice(i, 1)
        break
      }
    }
    if (list.length === 0) this.listenersByEvent!.delete(event)
    return this
  }

  off(event: string, listener: Listener): this {
    return this.removeListener(event, listener)
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this.listenersByEvent = null
    else this.listenersByEvent?.delete(event)
    return this
  }

  listenerCount(event: string): number {
    return this.listenersByEvent?.get(event)?.length ?? 0
  }

  listeners(event: string): Listener[] {
    return (this.listenersByEvent?.get(event) ?? []).map((l) => (l as OnceWrapper).listener ?? l)
  }

  emit(event: string, ...args: unknown[]): boolean {
    const list = this.listenersByEvent?.get(event)
    if (list === undefined) return false
    if (list.length === 1) list[0].apply(this, args)
    else for (const l of list.slice()) l.apply(this, args)
    return true
  }

  /** Hook for subclasses: a listener for `event` was added. */
  protected listenerAdded(_event: string): void {}
}
