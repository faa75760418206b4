/** Reads all of stdin; undefined when stdin is a terminal or empty-and-closed with nothing piped. */
export async function readStdin(): Promise<Buffer | undefined> {
  if (process.stdin.isTTY) return undefined
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}
