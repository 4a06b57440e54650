import { describe, expect, it } from 'vitest'
import { apiError, fakeFetch, json } from '../../test/fake-api.ts'
import { createMktApi, MktFailure } from './api.ts'

function client(routes: Parameters<typeof fakeFetch>[0]) {
  const server = fakeFetch(routes)
  let signedOut = 0
  const api = createMktApi(
    {
      csrfToken: () => 'csrf-1',
      signedOut: () => {
        signedOut++
      },
    },
    server.fetch,
  )
  return { api, calls: server.calls, signedOut: () => signedOut }
}

describe("the console's marketing client", () => {
  it('sends a campaign with its Idempotency-Key and the CSRF token, as JSON', async () => {
    const { api, calls } = client({
      'POST /api/admin/campaigns': () => json({ id: 7, status: 'sending', recipients: 2 }, 201),
    })
    const made = await api.createCampaign(
      { name: 'n', segment: { all: [] }, messages: [{ type: 'text', text: 'こんにちは' }] },
      'key-1',
    )
    expect(made).toEqual({ id: 7, status: 'sending', recipients: 2 })
    const req = calls[0] as Request
    expect(req.headers.get('Idempotency-Key')).toBe('key-1')
    expect(req.headers.get('X-CSRF-Token')).toBe('csrf-1')
    expect(req.headers.get('Content-Type')).toBe('application/json')
    expect(await req.json()).toEqual({
      name: 'n',
      segment: { all: [] },
      messages: [{ type: 'text', text: 'こんにちは' }],
    })
  })

  it("keeps the server's message of a refusal: LINE's reason, the quota's reach", async () => {
    const { api } = client({
      'POST /api/admin/campaigns': () =>
        json({ error: { code: 'QUOTA_EXCEEDED', message: 'Only 12 more can be reached.' } }, 422),
      'POST /api/admin/messages/validate': () =>
        json({ error: { code: 'VALIDATION_FAILED', message: 'messages[0].text: too long' } }, 400),
    })
    const quota = await api
      .createCampaign({ name: 'n', segment: { all: [] }, messages: [] }, 'k')
      .catch((e: unknown) => e)
    expect(quota).toBeInstanceOf(MktFailure)
    expect(quota).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      status: 422,
      detail: 'Only 12 more can be reached.',
    })
    await expect(api.validate([{ type: 'text', text: 'x' }])).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      detail: 'messages[0].text: too long',
    })
  })

  it('reads without the CSRF token, answers 204 with nothing, and tells the session of a 401', async () => {
    const { api, calls, signedOut } = client({
      'GET /api/admin/quota': () => json({ type: 'none', limit: null, used: 3, remaining: null }),
      'DELETE /api/admin/test-recipients/U%2Fx': () => new Response(null, { status: 204 }),
      'GET /api/admin/segments': () => apiError('STAFF_AUTH_REQUIRED', 401),
    })
    expect(await api.quota()).toEqual({ type: 'none', limit: null, used: 3, remaining: null })
    expect((calls[0] as Request).headers.get('X-CSRF-Token')).toBeNull()
    expect(await api.removeTestRecipient('U/x')).toBeUndefined()
    await expect(api.segments()).rejects.toMatchObject({ status: 401 })
    expect(signedOut()).toBe(1)
  })
})
