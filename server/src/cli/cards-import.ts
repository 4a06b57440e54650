// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { createReadStream, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadSecrets } from '../secrets.ts'
import { importCards } from '../services/card-import.ts'
import { createDailyStats } from '../services/daily-stats.ts'
import { HELP_OPTION, parseCommand, refuse } from './args.ts'
import { withDatabase } from './database.ts'
import { dryRunDatabase } from './dry-run.ts'
import { describeImport } from './print.ts'

const command = {
  name: 'cards:import',
  help: `Usage: pnpm cards:import [--dry-run] <file.csv>

Imports point cards from a CSV file (header row; columns card_number, pin, name, points and
optionally rank, birth_date). Idempotent; all or nothing per file: a bad row is reported
with its line number and nothing of the file is kept.

  --dry-run   check the file and report what would be created and updated; write nothing
  -h, --help  print this help`,
}
const { values, positionals } = parseCommand(command, {
  options: { ...HELP_OPTION, 'dry-run': { type: 'boolean' } },
  allowPositionals: true,
})
const dryRun = values['dry-run'] === true
const [file] = positionals
if (file === undefined) refuse(command, 'which file? Usage: pnpm cards:import <file.csv>')
if (positionals.length > 1) refuse(command, 'one file at a time')
// pnpm runs root scripts from the root; INIT_CWD is where the user typed the command.
const path = resolve(process.env.INIT_CWD ?? process.cwd(), file)
if (!existsSync(path)) {
  console.error(`No such file: ${path}`)
  process.exit(2)
}

const started = performance.now()
// A dry run is the real import on a database whose transactions roll back at their end
// while answering as if committed: the same checks and counts, nothing kept.
const result = await withDatabase(({ config, db }) => {
  const secrets = loadSecrets(config.secretsPath, config)
  return importCards(
    dryRun ? dryRunDatabase(db) : db,
    secrets.pinHashKey,
    createReadStream(path),
    Date.now(),
    createDailyStats(config.points.timeZone),
  )
})
if (result.errors.length) {
  console.error(
    dryRun
      ? `Dry run: ${file} would be refused; nothing would be imported.`
      : `Import failed: nothing was imported from ${file}.`,
  )
  for (const e of result.errors) console.error(`  line ${e.line}: ${e.message}`)
  process.exit(1)
}
const secs = ((performance.now() - started) / 1000).toFixed(1)
for (const line of describeImport(result, secs, { dryRun })) console.log(line)
