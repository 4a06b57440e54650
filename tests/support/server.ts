import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '../..')

export interface RunningServer {
  url: string
  /** The database file this server uses (fresh per start unless given). */
  databasePath: string
  dataDir: string
  /** Everything the process printed. */
  output: () => string
  /** SIGTERM and wait; `kill('SIGKILL')` for a crash. */
  stop: (signal?: NodeJS.Signals) => Promise<void>
  process: ChildProcess
}

/**
 * Starts the real server process (`tsx server/src/index.ts`, what `pnpm start` runs after the
 * front-end build) on a free port with a fresh database, in demo mode unless `env` sets LINE
 * settings. Resolves once it listens.
 */
export async function startServer(
  opts: { env?: Record<string, string>; dataDir?: string; timeoutMs?: number } = {},
): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'membercard-'))
  const databasePath = join(dataDir, 'membercard.db')
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/index.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_PATH: databasePath,
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d) => {
    out += d
  })
  child.stderr?.on('data', (d) => {
    out += d
  })
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${out}`)),
      opts.timeoutMs ?? 30_000,
    )
    const onData = () => {
      const m =
        /Customer app:\s+(http:\/\/\S+?)\/\s/.exec(out) ?? /"url":"(http:\/\/[^"]+)"/.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        resolveUrl(m[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${out}`))
    })
  })
  return {
    url,
    databasePath,
    dataDir,
    output: () => out,
    process: child,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done()
        child.once('exit', () => done())
        child.kill(signal)
      }),
  }
}

/** Removes a data directory made by `startServer`. */
export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}
