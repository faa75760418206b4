/** The etcd release whose API and behaviour tsetcd matches; reported where etcd reports its own version. */
export const ETCD_VERSION = '3.5.0'
/** etcd's "API version": major.minor of ETCD_VERSION. */
export const API_VERSION = '3.5'
