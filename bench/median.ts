// biome-ignore-all lint/style/noRestrictedGlobals: a command-line helper
/**
 * The median of several `pnpm bench` runs, row by row: for each row with a ratio, the median
 * ratio and its range, whether the median meets the row's goal, and the server CPU ratio (the
 * baseline's CPU per request over the scenario's, from the row's note) likewise.
 * Usage: tsx bench/median.ts run1.json run2.json run3.json  (copies of bench/results/latest.json)
 */
import { readFileSync } from 'node:fs'

interface Row {
  scenario: string
  value: string
  ratio: number | null
  goal: string
  note?: string
}
interface Report {
  date: string
  machine: { loadAverageAtStart: number[]; loadAverageAtEnd: number[] }
  rows: Row[]
}

const files = process.argv.slice(2)
if (files.length === 0) {
  console.error('usage: tsx bench/median.ts <latest.json>…')
  process.exit(2)
}
const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Report)
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2
}
const range = (xs: number[]) => `${Math.min(...xs)}–${Math.max(...xs)}`
const cpuRatio = (r: Row) => {
  const m = /server CPU \d+ µs\/request vs \d+ \(([\d.]+) %\)/.exec(r.note ?? '')
  return m ? Number(m[1]) : null
}

console.log(
  `Runs: ${runs.map((r) => `${r.date} (load ${r.machine.loadAverageAtStart[0]} → ${r.machine.loadAverageAtEnd[0]})`).join('; ')}`,
)
console.log('')
console.log(
  '| scenario | ratio, median (range) | server CPU ratio, median (range) | goal | met by the median |',
)
console.log('| --- | --- | --- | --- | --- |')
for (const row of runs[0]?.rows ?? []) {
  const same = runs.map((r) => r.rows.find((x) => x.scenario === row.scenario))
  if (same.some((x) => !x)) continue
  const ratios = same.map((x) => x?.ratio).filter((x): x is number => typeof x === 'number')
  const cpus = same.map((x) => (x ? cpuRatio(x) : null)).filter((x): x is number => x !== null)
  const goal = /≥ ([\d.]+) %/.exec(row.goal)
  const m = ratios.length === runs.length ? median(ratios) : null
  console.log(
    `| ${row.scenario} | ${m === null ? same.map((x) => x?.value).join(' / ') : `${m} % (${range(ratios)})`} | ${cpus.length === runs.length ? `${median(cpus)} % (${range(cpus)})` : '—'} | ${row.goal} | ${m === null || !goal ? 'n/a' : m >= Number(goal[1]) ? 'yes' : '**no**'} |`,
  )
}
