// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { createReadStream, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadSecrets } from '../secrets.ts'
import { importCards } from '../services/card-import.ts'
import { withDatabase } from './database.ts'

const file = process.argv.slice(2).find((a) => a !== '--')
if (!file) {
  console.error('Usage: pnpm cards:import <file.csv>')
  process.exit(2)
}
// pnpm runs root scripts from the root; INIT_CWD is where the user typed the command.
const path = resolve(process.env.INIT_CWD ?? process.cwd(), file)
if (!existsSync(path)) {
  console.error(`No such file: ${path}`)
  process.exit(2)
}
const started = performance.now()
const result = await withDatabase(({ config, db }) => {
  const secrets = loadSecrets(config.secretsPath, config)
  return importCards(db, secrets.pinHashKey, createReadStream(path), Date.now())
})
if (result.errors.length) {
  console.error(`Import failed: nothing was imported from ${file}.`)
  for (const e of result.errors) console.error(`  line ${e.line}: ${e.message}`)
  process.exit(1)
}
const secs = ((performance.now() - started) / 1000).toFixed(1)
console.log(
  `Imported ${result.rows} rows in ${secs}s: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged.`,
)
if (result.pointsIgnored) {
  console.log(
    `  ${result.pointsIgnored} existing card(s) have other points in the file; balances were kept (the ledger owns them).`,
  )
}
