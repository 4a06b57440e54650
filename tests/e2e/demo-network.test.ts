import { afterAll, describe, expect, it } from 'vitest'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'

/** Starts the server expecting it to refuse; its output. */
async function refusal(env: Record<string, string>): Promise<string> {
  try {
    const server = await startServer({ env })
    await server.stop()
    removeDataDir(server.dataDir)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error(`the server started with ${JSON.stringify(env)}`)
}

describe('demo mode on the network (the real process, decision 030)', () => {
  let open: RunningServer | undefined
  afterAll(async () => {
    await open?.stop()
    if (open) removeDataDir(open.dataDir)
  })

  it('refuses to start on 0.0.0.0 without DEMO_ALLOW_NETWORK=true: one line, exit 1', async () => {
    const out = await refusal({ HOST: '0.0.0.0' })
    expect(out).toMatch(/^server exited with 1:\n/)
    const printed = out.replace(/^server exited with 1:\n/, '').trim()
    expect(printed).toMatch(/^Invalid setting HOST: is 0\.0\.0\.0, but demo mode/)
    expect(printed).toContain('DEMO_ALLOW_NETWORK=true')
    expect(printed.split('\n')).toHaveLength(1)
  })

  it('refuses a blank LINE_LOGIN_CHANNEL_ID instead of falling into demo mode', async () => {
    const out = await refusal({ LINE_LOGIN_CHANNEL_ID: '' })
    expect(out).toMatch(/^server exited with 1:\n/)
    const printed = out.replace(/^server exited with 1:\n/, '').trim()
    expect(printed).toMatch(/^Invalid setting LINE_LOGIN_CHANNEL_ID: is set but empty/)
    expect(printed.split('\n')).toHaveLength(1)
  })

  it('with the opt-in: starts, says so loudly, and its own stand-in still verifies tokens', async () => {
    open = await startServer({ env: { HOST: '0.0.0.0', DEMO_ALLOW_NETWORK: 'true' } })
    expect(open.output()).toContain('!!! DEMO_ALLOW_NETWORK=true: this demo listens on 0.0.0.0')
    expect(open.output()).toContain('sign in as ANY LINE user')
    // The banner's address is one a client can open (loopback, not the wildcard).
    expect(open.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const { idToken } = (await (
      await fetch(`${open.url}/__line/demo/id-token`, { method: 'POST', body: '{}' })
    ).json()) as { idToken: string }
    // The server fetches the stand-in's keys from itself: through the loopback address.
    const me = await fetch(`${open.url}/api/me`, {
      headers: { Authorization: `Bearer ${idToken}` },
    })
    expect(me.status).toBe(200)
  })
})
