// Accumulates what a printer writes. stdout is bytes because etcdctl writes
// keys and values raw (they need not be UTF-8).

export interface Output {
  stdout: Buffer
  stderr: string
}

export class Out {
  private readonly parts: Buffer[] = []
  private err = ''

  /** fmt.Print: write text (UTF-8) or raw bytes. */
  print(...items: Array<string | Uint8Array>): this {
    for (const it of items) this.parts.push(typeof it === 'string' ? Buffer.from(it, 'utf8') : Buffer.from(it))
    return this
  }

  /** fmt.Println with a single operand (or none). */
  line(item: string | Uint8Array = ''): this {
    return this.print(item, '\n')
  }

  stderr(text: string): this {
    this.err += text
    return this
  }

  done(): Output {
    return { stdout: Buffer.concat(this.parts), stderr: this.err }
  }
}

export function stdout(text: string | Uint8Array): Output {
  return new Out().print(text).done()
}
