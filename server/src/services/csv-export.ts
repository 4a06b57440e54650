import { Readable } from 'node:stream'
import { stringify } from 'csv-stringify'

/** The first characters that make a spreadsheet read a cell as a formula (or split it). */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * A text cell safe to open in a spreadsheet: one that starts with `=`, `+`, `-`, `@`, a tab or
 * a carriage return gets a leading `'` (OWASP's CSV injection advice), so Excel and its kin
 * show it as text instead of running it. Numbers are written as numbers and never prefixed
 * (a negative number of points stays a number). docs/decisions/062-csv-exports.md.
 */
export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value
}

export type CsvCell = string | number | null

/**
 * A CSV stream made with `csv-stringify`: UTF-8 with a byte-order mark (Excel then reads
 * Japanese correctly), a header row, CRLF line ends, text cells neutralised. `records` is
 * pulled only as fast as the stream is read.
 */
export function csvStream(columns: string[], records: AsyncIterable<CsvCell[]>): Readable {
  const stringifier = stringify({
    bom: true,
    header: true,
    columns,
    record_delimiter: 'windows',
    cast: { string: (v) => neutraliseCell(v) },
  })
  const source = Readable.from(records)
  source.on('error', (err) => stringifier.destroy(err))
  return source.pipe(stringifier)
}
