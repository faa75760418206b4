import { webcrypto } from 'node:crypto'

/** Node's WebCrypto, typed as the DOM `Crypto` that @peculiar/x509 expects. */
export const cryptoProvider = webcrypto as unknown as Crypto
