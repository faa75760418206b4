import type { Backend } from '../../../src/server/backend/backend.js'
import { MemoryBackend } from '../../../src/server/backend/memory-backend.js'
import { backendConformance } from './conformance.js'

backendConformance('MemoryBackend', () => ({
  open: async () => new MemoryBackend(),
  reopen: async (b: Backend) => {
    await b.close()
    return (b as MemoryBackend).reopen()
  },
  cleanup: async () => {},
}))
