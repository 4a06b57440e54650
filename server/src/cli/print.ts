/** Groups a card number by four for a human at a terminal (demo cards only). */
export function formatCardNumberForPrint(cardNumber: string): string {
  return cardNumber.replace(/(\d{4})(?=\d)/g, '$1 ')
}

/** `1 row`, `2 rows`: a count with its noun in the right number. */
export function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`
}

/**
 * What `pnpm cards:import` says about a file it imported (or, in a dry run, checked): a
 * summary line, and a note when existing cards have other points in the file.
 */
export function describeImport(
  r: {
    rows: number
    created: number
    updated: number
    updatedFields: Record<string, number>
    unchanged: number
    pointsIgnored: number
  },
  seconds: string,
  opts: { dryRun?: boolean } = {},
): string[] {
  const n = (x: number) => x.toLocaleString('en')
  const fields = Object.entries(r.updatedFields)
    .filter(([, count]) => count > 0)
    .map(([field, count]) => `${field} ${n(count)}`)
  const counts = `${n(r.created)} created, ${n(r.updated)} updated${fields.length ? ` (${fields.join(', ')})` : ''}, ${n(r.unchanged)} unchanged`
  const rows = plural(r.rows, 'row', 'rows')
  const lines = [
    opts.dryRun
      ? `Dry run: checked ${rows} in ${seconds}s: would be ${counts}; nothing was written.`
      : `Imported ${rows} in ${seconds}s: ${counts}.`,
  ]
  if (r.pointsIgnored > 0) {
    const kept = opts.dryRun ? 'would be kept' : 'was kept'
    lines.push(
      r.pointsIgnored === 1
        ? `  1 existing card has other points in the file; its balance ${kept} (the ledger owns balances).`
        : `  ${plural(r.pointsIgnored, 'existing card', 'existing cards')} have other points in the file; their balances ${opts.dryRun ? 'would be' : 'were'} kept (the ledger owns balances).`,
    )
  }
  return lines
}
