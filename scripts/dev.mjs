// `pnpm dev`: the server with reload (tsx watch) and the LIFF app through Vite's dev server,
// which proxies /api and /__line to the server. Ctrl-C stops both.
import { spawn } from 'node:child_process'

const port = process.env.PORT ?? '3000'
const children = [
  spawn('pnpm', ['exec', 'tsx', 'watch', 'server/src/index.ts'], {
    stdio: 'inherit',
    env: { ...process.env, PORT: port },
  }),
  spawn('pnpm', ['--filter', '@membercard/liff-app', 'exec', 'vite', '--port', '5173'], {
    stdio: 'inherit',
  }),
]
const stop = () => {
  for (const c of children) c.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
for (const c of children)
  c.on('exit', (code) => {
    stop()
    process.exitCode = code ?? 0
  })
