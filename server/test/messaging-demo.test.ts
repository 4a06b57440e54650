import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, removeDataDir, startServer } from '../../tests/support/server.ts'

interface Call {
  method: string
  path: string
  headers: Record<string, string>
  body: unknown
}

describe('demo mode: the Messaging API side against the built-in stand-in', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer({ env: { LOG_LEVEL: 'info' } })
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  const calls = async (): Promise<Call[]> =>
    ((await (await fetch(`${server.url}/__line/_calls`)).json()) as { calls: Call[] }).calls

  async function until<T>(what: string, get: () => Promise<T | undefined>, ms = 15_000) {
    const end = Date.now() + ms
    for (;;) {
      const v = await get()
      if (v !== undefined) return v
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  it('deploys the menus at start; a link pushes and switches the menu; the webhook verifies', async () => {
    const deployed = await until('the demo rich menus', async () => {
      const c = await calls()
      return c.some((x) => x.path.startsWith('/v2/bot/user/all/richmenu/')) ? c : undefined
    })
    const menus = deployed.filter((c) => c.path === '/v2/bot/richmenu' && c.method === 'POST')
    expect(menus).toHaveLength(2)

    const { idToken } = (await (
      await fetch(`${server.url}/__line/demo/id-token`, { method: 'POST', body: '{}' })
    ).json()) as { idToken: string }
    const res = await fetch(`${server.url}/api/link`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${idToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        cardNumber: '4900000000000011',
        pin: '1234',
        consent: { version: '2026-11-01', accepted: true },
      }),
    })
    expect(res.status).toBe(201)
    const after = await until('the link push and the menu switch', async () => {
      const c = await calls()
      const push = c.find((x) => x.path === '/v2/bot/message/push')
      const menu = c.find((x) =>
        /^\/v2\/bot\/user\/U[0-9a-f]{32}\/richmenu\/richmenu-/.test(x.path),
      )
      return push && menu ? { push, menu } : undefined
    })
    expect(JSON.stringify(after.push.body)).toContain('連携が完了しました')
    expect(after.push.headers['x-line-retry-key']).toMatch(/^[0-9a-f-]{36}$/)

    const body = JSON.stringify({ destination: 'U0', events: [] })
    const signature = createHmac('sha256', 'demo-channel-secret').update(body).digest('base64')
    const verify = await fetch(`${server.url}/webhook/line`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Line-Signature': signature },
      body,
    })
    expect(verify.status).toBe(200)
    const forged = await fetch(`${server.url}/webhook/line`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Line-Signature': `${signature}x` },
      body,
    })
    expect(forged.status).toBe(401)
  }, 60_000)
})
