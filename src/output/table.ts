// -w table (printer_table.go): only list-like results have a table.
import type { MemberListResponse } from '../gen/etcdserverpb.js'
import { UnsupportedPrinter } from './unsupported.js'
import { stdout, type Output } from './out.js'
import { renderTable } from './tablewriter.js'
import type { EndpointHashKV, EndpointHealth, EndpointStatus, Rows, SnapshotStatus } from './rows.js'
import { dbStatusRows, endpointHashKVRows, endpointHealthRows, endpointStatusRows, memberListRows } from './rows.js'

function table(r: Rows): Output {
  return stdout(renderTable(r.header, r.rows))
}

export class TablePrinter extends UnsupportedPrinter {
  constructor() {
    super('table')
  }

  override memberList(r: MemberListResponse): Output { return table(memberListRows(r)) }
  override endpointHealth(list: EndpointHealth[]): Output { return table(endpointHealthRows(list)) }
  override endpointStatus(list: EndpointStatus[]): Output { return table(endpointStatusRows(list)) }
  override endpointHashKV(list: EndpointHashKV[]): Output { return table(endpointHashKVRows(list)) }
  override dbStatus(s: SnapshotStatus): Output { return table(dbStatusRows(s)) }
}
