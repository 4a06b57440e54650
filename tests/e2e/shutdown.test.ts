import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT } from '../support/server.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/**
 * Runs `pnpm serve` as a terminal runs a command: in a process group of its own (a terminal's
 * Ctrl-C signals the whole group). Resolves once the server logs that it listens.
 */
async function serve() {
  const dir = mkdtempSync(join(tmpdir(), 'mc-shutdown-'))
  dirs.push(dir)
  const databasePath = join(dir, 'membercard.db')
  const child = spawn('pnpm', ['serve'], {
    cwd: ROOT,
    detached: true,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_PATH: databasePath,
      LOG_LEVEL: 'info',
      LINE_LOGIN_CHANNEL_ID: '1234567890',
      LINE_API_BASE: 'http://127.0.0.1:9',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => {
    stdout += d
  })
  child.stderr.on('data', (d) => {
    stderr += d
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('exit', (code, signal) => done({ code, signal }))
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line:\n${stdout}`)), 60_000)
    const onData = () => {
      const m = /"msg":"listening","url":"(http:\/\/[^"]+)"/.exec(stdout)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve(m[1])
      }
    }
    child.stdout.on('data', onData)
    void exited.then(({ code }) => {
      clearTimeout(timer)
      reject(new Error(`pnpm serve exited with ${code}:\n${stdout}\n${stderr}`))
    })
  })
  const pid = child.pid as number
  return {
    url,
    databasePath,
    exited,
    output: () => ({ stdout, stderr }),
    /** Ctrl-C in a terminal: SIGINT to every process of the group. */
    interruptGroup: () => process.kill(-pid, 'SIGINT'),
    /** What a process manager sends: SIGTERM to the process it started. */
    terminate: () => process.kill(pid, 'SIGTERM'),
  }
}

/** A GET on a kept-alive connection that stays open (idle) after the answer. */
function keepAliveGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: new Agent({ keepAlive: true }) })
    req.on('response', (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('stopping the server', () => {
  it('exits 0 on Ctrl-C (SIGINT to the process group of `pnpm serve`), closing the database', async () => {
    const server = await serve()
    expect(await keepAliveGet(`${server.url}/healthz`)).toBe(200)
    server.interruptGroup()
    expect(await server.exited).toEqual({ code: 0, signal: null })
    const { stdout, stderr } = server.output()
    expect(stderr).toBe('')
    expect(stdout).toContain('"msg":"shutting down","signal":"SIGINT"')
    expect(stdout).not.toMatch(/ELIFECYCLE|"level":"error"|shutdown took over/)
    // The last connection closed checkpoints the write-ahead log and removes it.
    expect(existsSync(server.databasePath)).toBe(true)
    expect(existsSync(`${server.databasePath}-wal`)).toBe(false)
  }, 90_000)

  it('exits 0 on SIGTERM to `pnpm serve` alone, as a process manager sends it', async () => {
    const server = await serve()
    expect(await keepAliveGet(`${server.url}/healthz`)).toBe(200)
    server.terminate()
    expect(await server.exited).toEqual({ code: 0, signal: null })
    const { stdout, stderr } = server.output()
    expect(stderr).toBe('')
    expect(stdout).toContain('"msg":"shutting down","signal":"SIGTERM"')
    expect(stdout).not.toMatch(/ELIFECYCLE|"level":"error"|shutdown took over/)
    expect(existsSync(`${server.databasePath}-wal`)).toBe(false)
  }, 90_000)
})
