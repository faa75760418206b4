/** Runs bcrypt off the event loop: one request at a time from the parent, answered by id. */
import { parentPort } from 'node:worker_threads'
import bcrypt from 'bcryptjs'

interface Job {
  id: number
  op: 'hash' | 'compare'
  password: string
  cost?: number
  hash?: string
}

parentPort!.on('message', (j: Job) => {
  try {
    const result =
      j.op === 'hash' ? bcrypt.hashSync(j.password, j.cost ?? 10) : bcrypt.compareSync(j.password, j.hash ?? '')
    parentPort!.postMessage({ id: j.id, result })
  } catch (err) {
    parentPort!.postMessage({ id: j.id, error: (err as Error).message })
  }
})
