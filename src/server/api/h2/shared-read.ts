/**
 * Reads a client connection into one buffer shared by every connection, instead of a new
 * buffer per read.
 *
 * For each read of a socket, node allocates 64 KiB, reads into it, copies what came into a
 * buffer of that size and hands it over as a new ArrayBuffer. V8 frees each of those in the
 * next young-generation collection, one at a time: with 100 watchers on 10 connections (a
 * client's PING per connection per event), that was about 12 ArrayBuffers per put and half of
 * every collection's pause. Node reads into a caller's buffer (its `onread` option) only for
 * sockets it connects itself; for an accepted socket, this sets the same three fields that
 * option sets (found by their symbols' names) and switches the socket's handle to the buffer,
 * as the option does. Where that is not possible (TLS, or a node whose sockets lack those
 * fields) it returns false and the caller reads 'data' events as before.
 *
 * `onRead` gets a view of the shared buffer, valid until it returns: reads are handled one at
 * a time, and the next read of any connection overwrites it. Whatever is kept past the call
 * must be copied. 'end', 'close', errors, `pause()` and `resume()` work as on any socket.
 */
import type net from 'node:net'

/** Node reads at most 64 KiB at a time too. */
const SHARED = Buffer.allocUnsafe(64 * 1024)

interface UserBufferHandle {
  useUserBuffer(buf: Uint8Array): void
}

function symbolNamed(o: object, name: string): symbol | undefined {
  return Object.getOwnPropertySymbols(o).find((s) => s.description === name)
}

/** True when the socket now reads into the shared buffer and hands each read to `onRead`. */
export function readIntoShared(socket: net.Socket, onRead: (chunk: Buffer) => void): boolean {
  if ((socket as { encrypted?: boolean }).encrypted) return false
  const handle = (socket as unknown as { _handle?: Partial<UserBufferHandle> | null })._handle
  const kBuffer = symbolNamed(socket, 'kBuffer')
  const kBufferCb = symbolNamed(socket, 'kBufferCb')
  const kBufferGen = symbolNamed(socket, 'kBufferGen')
  if (typeof handle?.useUserBuffer !== 'function' || !kBuffer || !kBufferCb || !kBufferGen) return false
  const fields = socket as unknown as Record<symbol, unknown>
  // Not a socket already reading into a buffer of its own.
  if (fields[kBuffer] !== null || fields[kBufferGen] !== null) return false
  // Node calls this with the byte count and the buffer; false from it would stop reading.
  fields[kBufferCb] = (n: number, buf: Buffer): void => onRead(buf.subarray(0, n))
  fields[kBuffer] = SHARED
  handle.useUserBuffer(SHARED)
  return true
}
