// Every printer method in every format against what etcdctl's printer code
// printed for the same response (fixtures/printer-cases.ts).
import assert from 'node:assert/strict'
import * as pb from '../../../src/gen/etcdserverpb.js'
import { newPrinter, type Printer, type Output } from '../../../src/output/printer.js'
import { EtcdctlExit } from '../../../src/output/exit-error.js'
import { PRINTER_CASES, type PrinterCase } from './fixtures/printer-cases.js'

type Decoder = (b: Uint8Array) => unknown
const decoders = pb as unknown as Record<string, Decoder>

function decode(type: string, b64: string): any {
  return decoders['decode' + type](Buffer.from(b64, 'base64'))
}

function call(p: Printer, c: PrinterCase): Output {
  const m = c.type !== undefined ? decode(c.type, c.msg ?? '') : undefined
  const a = c.args
  switch (c.method) {
    case 'Get':
      return p.get(m, { valueOnly: c.valueOnly })
    case 'Put':
      return p.put(m)
    case 'Del':
      return p.del(m)
    case 'Txn':
      return p.txn(m)
    case 'Watch':
      return p.watch(m)
    case 'Grant':
      return p.grant(m)
    case 'Revoke':
      return p.revoke(BigInt(a[0]), m)
    case 'KeepAlive':
      return p.keepAlive(m)
    case 'TimeToLive':
      return p.timeToLive(m, a[0] === 'true')
    case 'Leases':
      return p.leases(m)
    case 'MemberAdd':
      return p.memberAdd(m, a[0], a[1])
    case 'MemberRemove':
      return p.memberRemove(BigInt(a[0]), m)
    case 'MemberUpdate':
      return p.memberUpdate(BigInt(a[0]), m)
    case 'MemberPromote':
      return p.memberPromote(BigInt(a[0]), m)
    case 'MemberList':
      return p.memberList(m)
    case 'EndpointHealth':
      return p.endpointHealth(
        c.list!.map((e) => ({ endpoint: e.ep, health: e.health ?? false, took: e.took ?? '', error: e.error })),
      )
    case 'EndpointStatus':
      return p.endpointStatus(c.list!.map((e) => ({ endpoint: e.ep, status: decode('StatusResponse', e.msg!) })))
    case 'EndpointHashKV':
      return p.endpointHashKV(c.list!.map((e) => ({ endpoint: e.ep, hashKV: decode('HashKVResponse', e.msg!) })))
    case 'MoveLeader':
      return p.moveLeader(BigInt(a[0]), BigInt(a[1]), m)
    case 'Alarm':
      return p.alarm(m)
    case 'DBStatus':
      return p.dbStatus(c.db!)
    case 'RoleAdd':
      return p.roleAdd(a[0], m)
    case 'RoleGet':
      return p.roleGet(a[0], m)
    case 'RoleDelete':
      return p.roleDelete(a[0], m)
    case 'RoleList':
      return p.roleList(m)
    case 'RoleGrantPermission':
      return p.roleGrantPermission(a[0], m)
    case 'RoleRevokePermission':
      return p.roleRevokePermission(a[0], a[1], a[2], m)
    case 'UserAdd':
      return p.userAdd(a[0], m)
    case 'UserGet':
      return p.userGet(a[0], m)
    case 'UserList':
      return p.userList(m)
    case 'UserChangePassword':
      return p.userChangePassword(m)
    case 'UserGrantRole':
      return p.userGrantRole(a[0], a[1], m)
    case 'UserRevokeRole':
      return p.userRevokeRole(a[0], a[1], m)
    case 'UserDelete':
      return p.userDelete(a[0], m)
  }
  throw new Error(`no such printer method ${c.method}`)
}

describe('output: printers match etcdctl byte for byte', () => {
  const methods = new Set(PRINTER_CASES.map((c) => c.method))
  it('the fixtures cover every printer method', () => {
    assert.equal(methods.size, 34)
  })

  for (const c of PRINTER_CASES) {
    describe(`${c.method}: ${c.name}`, () => {
      for (const r of c.results) {
        it(`-w ${r.format}${r.hex ? ' --hex' : ''}`, () => {
          const p = newPrinter(r.format, { isHex: r.hex })
          let out: Output
          try {
            out = call(p, c)
          } catch (e) {
            if (!(e instanceof EtcdctlExit)) throw e
            assert.equal(e.exitCode, r.exit, `exit code (${e.message})`)
            const got = r.stderr.startsWith('panic: ') ? e.stderr.slice(0, e.stderr.indexOf('\n')) : e.stderr
            assert.equal(got, r.stderr)
            assert.equal(r.stdout, '')
            return
          }
          assert.equal(r.exit, 0, `etcdctl failed with: ${r.stderr}`)
          assert.equal(out.stdout.toString('latin1'), Buffer.from(r.stdout, 'base64').toString('latin1'))
          assert.equal(out.stderr, r.stderr)
        })
      }
    })
  }
})
