// biome-ignore-all lint/style/noRestrictedGlobals: a command-line helper
/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. `BENCH_PROFILE=dir pnpm bench`):
 * self time per function and per package, heaviest first.
 * Usage: tsx bench/profile-summary.ts <file.cpuprofile> [top] [window]
 * (window: `8` = the final 8 s of the profile, `24-16` = from 24 s to 16 s before its end,
 * e.g. one measured window of `BENCH_PROFILE=dir pnpm bench`.)
 */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
const [file, topArg, lastArg] = process.argv.slice(2)
if (!file) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]')
  process.exit(2)
}
const prof = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: Node[]
  samples: number[]
  timeDeltas: number[]
}
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const self = new Map<number, number>()
const at: number[] = []
let clock = 0
for (const d of prof.timeDeltas) {
  clock += d
  at.push(clock)
}
const [fromS, toS] = (lastArg ?? '').split('-').map(Number)
const from = lastArg ? clock - (fromS ?? 0) * 1e6 : Number.NEGATIVE_INFINITY
const to = lastArg && toS !== undefined ? clock - toS * 1e6 : Number.POSITIVE_INFINITY
prof.samples.forEach((id, i) => {
  if ((at[i] ?? 0) < from || (at[i] ?? 0) > to) return
  self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0))
})
const total = [...self.values()].reduce((a, b) => a + b, 0)
const fn = new Map<string, number>()
const pkg = new Map<string, number>()
for (const [id, us] of self) {
  const n = byId.get(id)
  if (!n) continue
  const url = n.callFrame.url
  const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)
  const where =
    m?.[1] ?? (url.includes('/src/') ? url.replace(/.*\/(\w+\/src\/)/, '$1') : url || '(native)')
  const key = `${n.callFrame.functionName || '(anonymous)'} ${where}:${n.callFrame.lineNumber + 1}`
  fn.set(key, (fn.get(key) ?? 0) + us)
  const p =
    m?.[1] ??
    (url.startsWith('node:')
      ? url
      : url.includes('/src/')
        ? 'project'
        : n.callFrame.functionName || '(native)')
  pkg.set(p, (pkg.get(p) ?? 0) + us)
}
const show = (title: string, map: Map<string, number>, top: number) => {
  console.log(`\n${title}`)
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
  }
}
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`)
show('by package', pkg, 15)
show('by function', fn, Number(topArg ?? 30))
