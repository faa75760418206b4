/**
 * Repairs a torn tail found by the reader: zeroes the last segment from the start of the
 * damaged write to its last non-zero byte and makes that durable, so that appending resumes
 * on a clean, still preallocated file and nothing of the torn write can resurface.
 */
import type { FileSystem } from './fs.js'
import { writeZeros } from './fs.js'
import type { RepairReport } from './types.js'

export async function repairTail(fs: FileSystem, report: RepairReport): Promise<void> {
  const file = await fs.open(report.file, 'r+')
  try {
    await writeZeros(file, report.offset, report.offset + report.discardedBytes)
    await file.datasync()
  } finally {
    await file.close()
  }
}
