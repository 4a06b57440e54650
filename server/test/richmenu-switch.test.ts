import { describe, expect, it } from 'vitest'
import { createMessagingContext, outboxRows } from './messaging-support.ts'
import { addCard, linkBody } from './support.ts'

const ctx = await createMessagingContext()
const deployed = await ctx.deploy()
const memberMenu = deployed.menus.member.richMenuId

async function link(user: string) {
  const card = await addCard(ctx.db, ctx.secrets)
  const res = await ctx.call('POST', '/api/link', {
    headers: await ctx.userHeaders(user),
    body: linkBody(card.cardNumber, card.pin),
  })
  expect(res.status).toBe(201)
  return card
}

describe('the rich menu follows the link', () => {
  it('links the member menu on link, removes the per-user menu on unlink', async () => {
    const user = ctx.newUser()
    await link(user)
    await ctx.drain()
    expect(ctx.callsTo(`/v2/bot/user/${user}/richmenu/${memberMenu}`, 'POST')).toHaveLength(1)
    expect(ctx.standIn.userRichMenus.get(user)).toBe(memberMenu)

    const res = await ctx.call('DELETE', '/api/link', { headers: await ctx.userHeaders(user) })
    expect(res.status).toBe(204)
    await ctx.drain()
    expect(ctx.callsTo(`/v2/bot/user/${user}/richmenu`, 'DELETE')).toHaveLength(1)
    expect(ctx.standIn.userRichMenus.has(user)).toBe(false)
  })

  it('a LINE error never fails the link; the switch is retried with backoff and lands', async () => {
    const user = ctx.newUser()
    ctx.standIn.failNext(`/v2/bot/user/${user}/richmenu`, 500, 1)
    await link(user)
    const first = await ctx.drain()
    expect(first.retried).toBe(1)
    expect(ctx.standIn.userRichMenus.has(user)).toBe(false)
    const row = (await outboxRows(ctx)).find((r) => r.kind === 'richmenu_sync' && r.userId === user)
    expect(row?.attempts).toBe(1)
    expect(row?.lastError).toContain('500')
    // Not before the backoff has passed…
    expect((await ctx.drain()).sent).toBe(0)
    ctx.clock.set(row?.nextAttemptAt ?? 0)
    const second = await ctx.drain()
    expect(second.sent).toBe(1)
    expect(ctx.standIn.userRichMenus.get(user)).toBe(memberMenu)
  })

  it('applies the state at send time: link then unlink before LINE answers ends with no menu', async () => {
    const user = ctx.newUser()
    const menuPath = `/v2/bot/user/${user}/richmenu`
    const syncRows = async () =>
      (await outboxRows(ctx)).filter((r) => r.kind === 'richmenu_sync' && r.userId === user)
    ctx.standIn.failNext(menuPath, 503, 1)
    await link(user)
    expect((await ctx.drain()).retried).toBe(1) // the link's switch fails once
    const [linkRow] = await syncRows()
    expect(linkRow).toMatchObject({ attempts: 1, sentAt: null, failedAt: null })
    expect(linkRow?.lastError).toContain('503')
    await ctx.call('DELETE', '/api/link', { headers: await ctx.userHeaders(user) })
    // A 503 may come after LINE has applied the call: the member menu may be on the user.
    ctx.standIn.userRichMenus.set(user, memberMenu)
    ctx.clock.advance(60_000)
    const r = await ctx.drain()
    expect(r).toMatchObject({ sent: 2, retried: 0, failed: 0, skipped: 0 })
    // Both switches went out, the link's retry included, and each removed the menu.
    const rows = await syncRows()
    expect(rows).toHaveLength(2)
    for (const row of rows) expect(row).toMatchObject({ failedAt: null, lastError: null })
    expect(rows.every((row) => row.sentAt !== null)).toBe(true)
    expect(rows[0]).toMatchObject({ id: linkRow?.id, attempts: 2 })
    expect(ctx.callsTo(menuPath, 'POST')).toHaveLength(0)
    expect(ctx.callsTo(menuPath, 'DELETE')).toHaveLength(2)
    expect(ctx.standIn.userRichMenus.has(user)).toBe(false)
  })

  it('a 4xx that retrying cannot fix is given up at once and logged', async () => {
    const user = ctx.newUser()
    ctx.standIn.failNext(`/v2/bot/user/${user}/richmenu`, 400, 1)
    await link(user)
    const r = await ctx.drain()
    expect(r.failed).toBe(1)
    const row = (await outboxRows(ctx)).find((x) => x.kind === 'richmenu_sync' && x.userId === user)
    expect(row?.failedAt).not.toBeNull()
    expect(ctx.logger.lines.some((l) => l.includes('failed for good'))).toBe(true)
  })
})
