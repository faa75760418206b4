import assert from 'node:assert/strict'
import { RangePermissions } from '../../../src/server/auth/perms.js'
import { AuthStore } from '../../../src/server/auth/store.js'
import { MemoryBackend } from '../../../src/server/backend/memory-backend.js'
import { Errors } from '../../../src/errors/rpctypes.js'
import { Permission_Type } from '../../../src/gen/authpb.js'
import { decodeInternalRequest, encodeInternalRequest } from '../../../src/gen/tsetcdpb.js'

const b = (s: string) => Buffer.from(s)
const perm = (permType: number, key: string, end = '') => ({ permType, key: b(key), range_end: b(end) })

describe('auth: range permissions', () => {
  const p = new RangePermissions([
    perm(Permission_Type.READWRITE, '/app/', '/app0'),
    perm(Permission_Type.READ, '/ro'),
    perm(Permission_Type.WRITE, '/w/', '/w0'),
    perm(Permission_Type.READ, '/a', '/c'),
    perm(Permission_Type.READ, '/c', '/e'),
    perm(Permission_Type.READ, '/z', '\0'),
  ])

  it('a key, a range or a from-key range is permitted when the union of the intervals covers it', () => {
    assert.equal(p.permits(false, b('/app/x')), true)
    assert.equal(p.permits(true, b('/app/x')), true)
    assert.equal(p.permits(false, b('/app/'), b('/app0')), true)
    assert.equal(p.permits(true, b('/app/'), b('/app1')), false)
    assert.equal(p.permits(false, b('/ro')), true)
    assert.equal(p.permits(true, b('/ro')), false)
    assert.equal(p.permits(false, b('/ro'), b('/rp')), false)
    assert.equal(p.permits(false, b('/w/x')), false)
    assert.equal(p.permits(true, b('/w/x')), true)
    // Two adjacent intervals cover their union.
    assert.equal(p.permits(false, b('/a'), b('/e')), true)
    assert.equal(p.permits(false, b('/a'), b('/f')), false)
    // From-key: only a from-key permission covers it.
    assert.equal(p.permits(false, b('/z'), b('\0')), true)
    assert.equal(p.permits(false, b('/app/'), b('\0')), false)
    assert.equal(p.permits(false, b('/zzz')), true)
    assert.equal(p.permits(false, b('/other')), false)
  })
})

describe('auth: the store', () => {
  it('enforces roles on enable, keeps records across a reload, and refuses an old auth revision', async () => {
    const backend = new MemoryBackend()
    const s = await AuthStore.open(backend)
    const wb = backend.batch()
    s.userAdd(wb, { name: 'root', hashed_password: b('h'), options: { no_password: false } })
    assert.throws(
      () => s.authEnable(wb),
      (e) => e === Errors.RootRoleNotExist,
    )
    s.userGrantRole(wb, { user: 'root', role: 'root' })
    s.roleAdd(wb, 'app')
    s.roleGrantPermission(wb, { name: 'app', perm: perm(Permission_Type.READWRITE, '/app/', '/app0') })
    s.userAdd(wb, { name: 'alice', hashed_password: b('h'), options: { no_password: false } })
    s.userGrantRole(wb, { user: 'alice', role: 'app' })
    s.authEnable(wb)
    await wb.write()
    const rev = s.revision
    const ai = { username: 'alice', revision: rev }
    s.checkPut(ai, b('/app/x'))
    assert.throws(
      () => s.checkPut(ai, b('/x')),
      (e) => e === Errors.PermissionDenied,
    )
    assert.throws(
      () => s.checkPut(undefined, b('/app/x')),
      (e) => e === Errors.UserEmpty,
    )
    assert.throws(
      () => s.checkAdmin(ai),
      (e) => e === Errors.PermissionDenied,
    )
    assert.throws(
      () => s.userDelete(backend.batch(), 'root'),
      (e) => e === Errors.InvalidAuthMgmt,
    )

    const again = await AuthStore.open(backend)
    assert.equal(again.isEnabled, true)
    assert.equal(again.revision, rev)
    assert.deepEqual(again.userList(), ['alice', 'root'])
    again.checkPut(ai, b('/app/x'))
    const wb2 = backend.batch()
    again.roleRevokePermission(wb2, { role: 'app', key: b('/app/'), range_end: b('/app0') })
    assert.throws(
      () => again.checkPut(ai, b('/app/x')),
      (e) => e === Errors.AuthOldRevision,
    )
    assert.throws(
      () => again.checkPut({ username: 'alice', revision: again.revision }, b('/app/x')),
      (e) => e === Errors.PermissionDenied,
    )
  })

  it('an empty request header survives the log: a client request without credentials stays one', () => {
    const r = decodeInternalRequest(
      encodeInternalRequest({ ID: 1n, put: { key: b('k') }, header: { username: '', auth_revision: 0n } }),
    )
    assert.notEqual(r.header, undefined)
    assert.equal(
      decodeInternalRequest(encodeInternalRequest({ ID: 1n, auth_enable: {} })).auth_enable !== undefined,
      true,
    )
  })
})
