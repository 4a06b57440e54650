import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { fakeFetch, fakeServices, json } from '../test/fake-api.ts'
import { useSessionStore } from './session.ts'

describe('the session store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
  })

  it("reads the server's settings again (after CONSENT_OUTDATED): the current consent version", async () => {
    const f = fakeFetch({})
    const { config } = fakeServices(f.fetch)
    const current = { ...config, consentVersion: '2026-12-01' }
    const answered = fakeFetch({ 'GET /api/config': () => json(current) })
    fakeServices(answered.fetch)
    const session = useSessionStore()
    session.start(config)
    expect(session.config?.consentVersion).toBe('v1')
    await session.refreshConfig()
    expect(session.config?.consentVersion).toBe('2026-12-01')
    expect(answered.calls.map((r) => new URL(r.url).pathname)).toEqual(['/api/config'])
  })
})
