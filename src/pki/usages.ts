import { KeyUsageFlags } from './x509.js'
import { PkiError } from './errors.js'

/** cfssl's key usage words and the X.509 keyUsage bits they set. */
export const KEY_USAGES: Readonly<Record<string, KeyUsageFlags>> = {
  signing: KeyUsageFlags.digitalSignature,
  'digital signature': KeyUsageFlags.digitalSignature,
  'content commitment': KeyUsageFlags.nonRepudiation,
  'key encipherment': KeyUsageFlags.keyEncipherment,
  'key agreement': KeyUsageFlags.keyAgreement,
  'data encipherment': KeyUsageFlags.dataEncipherment,
  'cert sign': KeyUsageFlags.keyCertSign,
  'crl sign': KeyUsageFlags.cRLSign,
  'encipher only': KeyUsageFlags.encipherOnly,
  'decipher only': KeyUsageFlags.decipherOnly,
}

/** cfssl's extended key usage words and their OIDs. */
export const EXT_KEY_USAGES: Readonly<Record<string, string>> = {
  any: '2.5.29.37.0',
  'server auth': '1.3.6.1.5.5.7.3.1',
  'client auth': '1.3.6.1.5.5.7.3.2',
  'code signing': '1.3.6.1.5.5.7.3.3',
  'email protection': '1.3.6.1.5.5.7.3.4',
  's/mime': '1.3.6.1.5.5.7.3.4',
  'ipsec end system': '1.3.6.1.5.5.7.3.5',
  'ipsec tunnel': '1.3.6.1.5.5.7.3.6',
  'ipsec user': '1.3.6.1.5.5.7.3.7',
  timestamping: '1.3.6.1.5.5.7.3.8',
  'ocsp signing': '1.3.6.1.5.5.7.3.9',
  'microsoft sgc': '1.3.6.1.4.1.311.10.3.3',
  'netscape sgc': '2.16.840.1.113730.4.1',
}

export interface ResolvedUsages {
  /** OR of KeyUsageFlags; 0 means no keyUsage extension. */
  keyUsage: number
  /** Extended key usage OIDs in the order given, without repeats. */
  extKeyUsages: string[]
}

/** Turns cfssl usage words into keyUsage bits and EKU OIDs; unknown words are an error naming them. */
export function resolveUsages(usages: readonly string[], where: string): ResolvedUsages {
  let keyUsage = 0
  const extKeyUsages: string[] = []
  for (const word of usages) {
    const usage = word.trim().toLowerCase()
    if (usage in KEY_USAGES) {
      keyUsage |= KEY_USAGES[usage]
    } else if (usage in EXT_KEY_USAGES) {
      const oid = EXT_KEY_USAGES[usage]
      if (!extKeyUsages.includes(oid)) extKeyUsages.push(oid)
    } else {
      throw new PkiError(
        `${where}: unknown usage "${word}" (known: ${[...Object.keys(KEY_USAGES), ...Object.keys(EXT_KEY_USAGES)].join(', ')})`,
      )
    }
  }
  return { keyUsage, extKeyUsages }
}

/** Names for keyUsage bits, in bit order, in cfssl's words. */
export function keyUsageWords(flags: number): string[] {
  const names: Array<[KeyUsageFlags, string]> = [
    [KeyUsageFlags.digitalSignature, 'digital signature'],
    [KeyUsageFlags.nonRepudiation, 'content commitment'],
    [KeyUsageFlags.keyEncipherment, 'key encipherment'],
    [KeyUsageFlags.dataEncipherment, 'data encipherment'],
    [KeyUsageFlags.keyAgreement, 'key agreement'],
    [KeyUsageFlags.keyCertSign, 'cert sign'],
    [KeyUsageFlags.cRLSign, 'crl sign'],
    [KeyUsageFlags.encipherOnly, 'encipher only'],
    [KeyUsageFlags.decipherOnly, 'decipher only'],
  ]
  return names.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name)
}

/** The cfssl word for an extended key usage OID, or the OID itself. */
export function extKeyUsageWord(oid: string): string {
  const found = Object.entries(EXT_KEY_USAGES).find(([, value]) => value === oid)
  return found ? found[0] : oid
}
