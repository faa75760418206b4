// -w table (printer_table.go): only list-like results have a table.
import type { MemberListResponse } from '../gen/etcdserverpb.js'
import { UnsupportedPrinter } from './unsupported.js'
import { stdout, type Output } from './out.js'
import { renderTable, type CellPaint } from './tablewriter.js'
import { bold, green, paintWords, red } from './colour.js'
import type { EndpointHashKV, EndpointHealth, EndpointStatus, Rows, SnapshotStatus } from './rows.js'
import { dbStatusRows, endpointHashKVRows, endpointHealthRows, endpointStatusRows, memberListRows } from './rows.js'

/** How a column's cells are coloured, by header: health and leadership at a glance, errors in red. */
const COLUMN_STYLES: Record<string, (text: string) => ((t: string) => string) | undefined> = {
  health: (t) => (t === 'true' ? green : t === 'false' ? red : undefined),
  'is leader': (t) => (t === 'true' ? (x) => bold(green(x)) : undefined),
  error: () => red,
  errors: () => red,
}

function painter(r: Rows): CellPaint {
  const styles = r.header.map((h) => COLUMN_STYLES[h])
  return (row, col, cell) => {
    const style = styles[col]?.(r.rows[row][col])
    return style ? paintWords(cell, style) : cell
  }
}

export class TablePrinter extends UnsupportedPrinter {
  /** colour: health, leader and error cells coloured (for a terminal only). */
  constructor(private readonly colour = false) {
    super('table')
  }

  private table(r: Rows): Output {
    return stdout(renderTable(r.header, r.rows, this.colour ? painter(r) : undefined))
  }

  override memberList(r: MemberListResponse): Output {
    return this.table(memberListRows(r))
  }
  override endpointHealth(list: EndpointHealth[]): Output {
    return this.table(endpointHealthRows(list))
  }
  override endpointStatus(list: EndpointStatus[]): Output {
    return this.table(endpointStatusRows(list))
  }
  override endpointHashKV(list: EndpointHashKV[]): Output {
    return this.table(endpointHashKVRows(list))
  }
  override dbStatus(s: SnapshotStatus): Output {
    return this.table(dbStatusRows(s))
  }
}
