import { access, chmod, mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { PkiError } from './errors.js'
import type { CertBundle } from './gencert.js'

/** The files `cfssljson -bare NAME` writes: NAME.pem, NAME-key.pem, NAME.csr. */
export interface BarePaths {
  cert: string
  key: string
  csr: string
}

export function barePaths(outDir: string, bare: string): BarePaths {
  if (bare === '') throw new PkiError('the output name (--bare) must not be empty')
  const base = join(outDir, bare)
  return { cert: `${base}.pem`, key: `${base}-key.pem`, csr: `${base}.csr` }
}

/** Refuses to go on when a private key would be replaced without `force`. Call before generating anything. */
export async function checkKeysWritable(paths: readonly BarePaths[], force: boolean): Promise<void> {
  if (force) return
  for (const { key } of paths) {
    if (await exists(key))
      throw new PkiError(`${key} already exists; not overwriting a private key (use --force to replace it)`)
  }
}

/** Writes the three files (key with mode 0600) and returns their paths. */
export async function writeBare(paths: BarePaths, bundle: CertBundle, force: boolean): Promise<string[]> {
  await checkKeysWritable([paths], force)
  await mkdir(dirname(paths.key), { recursive: true })
  try {
    await writeFile(paths.key, bundle.keyPem, { mode: 0o600, flag: force ? 'w' : 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new PkiError(`${paths.key} already exists; not overwriting a private key (use --force to replace it)`)
    throw new PkiError(`cannot write ${paths.key}: ${(err as Error).message}`)
  }
  await chmod(paths.key, 0o600)
  await writeFile(paths.cert, bundle.certPem, { mode: 0o644 })
  await writeFile(paths.csr, bundle.csrPem, { mode: 0o644 })
  return [paths.cert, paths.key, paths.csr]
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
