import { readFileSync } from 'node:fs'
import { sql } from 'drizzle-orm'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { deployRichMenus, richMenuDefinitions, syncRichMenus } from '../src/line/rich-menus.ts'
import { createMessagingContext, LIFF_ID } from './messaging-support.ts'
import { addCard, linkBody, row } from './support.ts'

const ctx = await createMessagingContext()

/** The deployed menu's ID, as the database has it. */
async function storedMenuId(db: typeof ctx.db, name: 'guest' | 'member') {
  const r = await row<{ id: string }>(
    db,
    sql`SELECT rich_menu_id AS id FROM rich_menus WHERE name = ${name}`,
  )
  return r?.id
}

const creates = () =>
  ctx.callsTo('/v2/bot/richmenu', 'POST').filter((c) => c.path === '/v2/bot/richmenu')

describe('rich menu definitions and images', () => {
  const defs = richMenuDefinitions(LIFF_ID)
  it.each(['guest', 'member'] as const)(
    '%s: a PNG of the declared size under 1 MB, areas inside it',
    (name) => {
      const def = defs[name]
      const bytes = readFileSync(def.image)
      expect(bytes.byteLength).toBeLessThan(1024 * 1024)
      const png = PNG.sync.read(bytes)
      expect({ width: png.width, height: png.height }).toEqual(def.request.size)
      expect([843, 1686]).toContain(png.height)
      const size = def.request.size as { width: number; height: number }
      for (const a of def.request.areas ?? []) {
        const b = a.bounds as { x: number; y: number; width: number; height: number }
        expect(b.x + b.width).toBeLessThanOrEqual(size.width)
        expect(b.y + b.height).toBeLessThanOrEqual(size.height)
      }
      expect((def.request.chatBarText ?? '').length).toBeLessThanOrEqual(14)
    },
  )

  it('buttons open the LIFF app by path', () => {
    const uris = JSON.stringify([defs.guest.request, defs.member.request])
    for (const path of ['/link', '/issue', '/card', '/history', '/settings']) {
      expect(uris).toContain(`https://liff.line.me/${LIFF_ID}${path}`)
    }
  })
})

describe('pnpm richmenu:deploy (deployRichMenus)', () => {
  it('creates both menus with their images and sets the guest menu as the default', async () => {
    const r = await ctx.deploy()
    expect(r.menus.guest.created).toBe(true)
    expect(r.menus.member.created).toBe(true)
    expect(creates()).toHaveLength(2)
    const uploads = ctx.callsTo('/v2/bot/richmenu/').filter((c) => c.path.endsWith('/content'))
    expect(uploads.map((u) => u.headers['content-type'])).toEqual(['image/png', 'image/png'])
    expect(ctx.standIn.defaultRichMenu()).toBe(r.menus.guest.richMenuId)
    const rows = await ctx.db.execute(
      sql`SELECT name, rich_menu_id AS id FROM rich_menus ORDER BY name`,
    )
    expect(rows).toEqual([
      { name: 'guest', id: r.menus.guest.richMenuId },
      { name: 'member', id: r.menus.member.richMenuId },
    ])
  })

  it('is safe to run again: nothing new is created, nothing piles up', async () => {
    const before = creates().length
    const r = await ctx.deploy()
    expect(r.menus.guest.created).toBe(false)
    expect(r.menus.member.created).toBe(false)
    expect(r.deleted).toEqual([])
    expect(creates().length).toBe(before)
    expect(ctx.standIn.richMenus.size).toBe(2)
  })

  it('replaces a changed menu, moves linked members to it, and deletes the old ones', async () => {
    const user = ctx.newUser()
    const card = await addCard(ctx.db, ctx.secrets)
    await ctx.call('POST', '/api/link', {
      headers: await ctx.userHeaders(user),
      body: linkBody(card.cardNumber, card.pin),
    })
    await ctx.drain()
    const old = { id: await storedMenuId(ctx.db, 'member') }
    expect(old.id).toBeDefined()
    expect(ctx.standIn.userRichMenus.get(user)).toBe(old.id)
    // A leftover of an interrupted deploy, with this product's name prefix.
    const stray = await ctx.line.client.api().createRichMenu({
      ...richMenuDefinitions(LIFF_ID).guest.request,
    })
    // A changed definition (another LIFF ID) means new menus.
    const r = await deployRichMenus({
      db: ctx.db,
      client: ctx.line.client,
      clock: ctx.clock,
      logger: ctx.logger,
      liffId: '1234567890-changed0',
      sleep: async () => {},
    })
    expect(r.menus.member.created).toBe(true)
    expect(r.menus.member.richMenuId).not.toBe(old.id)
    expect(r.relinkedUsers).toBeGreaterThanOrEqual(1)
    expect(ctx.standIn.userRichMenus.get(user)).toBe(r.menus.member.richMenuId)
    expect(r.deleted).toContain(old.id)
    expect(r.deleted).toContain(stray.richMenuId)
    expect([...ctx.standIn.richMenus.keys()].sort()).toEqual(
      [r.menus.guest.richMenuId, r.menus.member.richMenuId].sort(),
    )
    expect(ctx.standIn.defaultRichMenu()).toBe(r.menus.guest.richMenuId)
  })

  it('recreates a menu deleted on LINE behind its back', async () => {
    const current = await storedMenuId(ctx.db, 'guest')
    await ctx.line.client.api().deleteRichMenu(current as string)
    const r = await deployRichMenus({
      db: ctx.db,
      client: ctx.line.client,
      clock: ctx.clock,
      logger: ctx.logger,
      liffId: '1234567890-changed0',
      sleep: async () => {},
    })
    expect(r.menus.guest.created).toBe(true)
    expect(r.menus.member.created).toBe(false)
    expect(ctx.standIn.defaultRichMenu()).toBe(r.menus.guest.richMenuId)
  })
})

describe('pnpm richmenu:sync (syncRichMenus)', () => {
  it('links every linked user in bulk calls of at most 500, unlinks the unlinked', async () => {
    const sync = await createMessagingContext()
    await sync.deploy()
    const now = sync.clock.now()
    // 1,203 cards, each linked to its own user; the last two users have unlinked.
    const numbers = Array.from({ length: 1203 }, (_, i) => `8${String(i).padStart(15, '0')}`)
    const users = numbers.map(() => sync.newUser())
    const inserted = await sync.db.execute<{ id: number; cardNumber: string }>(
      sql`INSERT INTO point_cards (card_number, name, source, created_at, updated_at)
        VALUES ${sql.join(
          numbers.map((n) => sql`(${n}, 'x', 'import', ${now}, ${now})`),
          sql`, `,
        )}
        RETURNING id, card_number AS "cardNumber"`,
    )
    const idOf = new Map(inserted.map((c) => [c.cardNumber, c.id]))
    await sync.db.execute(
      sql`INSERT INTO line_links (line_user_id, card_id, method, linked_at, unlinked_at)
        VALUES ${sql.join(
          numbers.map(
            (n, i) => sql`(${users[i]}, ${idOf.get(n)}, 'liff', ${now}, ${i < 1201 ? null : now})`,
          ),
          sql`, `,
        )}`,
    )
    const sleeps: number[] = []
    const r = await syncRichMenus({
      db: sync.db,
      client: sync.line.client,
      clock: sync.clock,
      logger: sync.logger,
      liffId: LIFF_ID,
      sleep: async (ms) => {
        sleeps.push(ms)
      },
    })
    expect(r).toEqual({ linked: 1201, unlinked: 2 })
    const bulk = sync.callsTo('/v2/bot/richmenu/bulk/link', 'POST')
    expect(bulk.map((b) => (b.body as { userIds: string[] }).userIds.length)).toEqual([
      500, 500, 201,
    ])
    expect(sync.callsTo('/v2/bot/richmenu/bulk/unlink', 'POST')).toHaveLength(1)
    expect(sleeps).toHaveLength(3)
    const member = await storedMenuId(sync.db, 'member')
    expect(member).toBeDefined()
    expect(sync.standIn.userRichMenus.get(users[0] as string)).toBe(member)
    expect(sync.standIn.userRichMenus.has(users[1202] as string)).toBe(false)
  })
})

describe('the richmenu:deploy and richmenu:sync commands', () => {
  it('deploy twice against LINE: the second run creates nothing; sync reports its counts', async () => {
    const { execFile } = await import('node:child_process')
    const { mkdtempSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join, resolve } = await import('node:path')
    const { startStandIn } = await import('./support.ts')
    const { line, base } = await startStandIn()
    const dir = mkdtempSync(join(tmpdir(), 'richmenu-cli-'))
    const root = resolve(import.meta.dirname, '../..')
    const run = (script: string, token = 'cli-token') =>
      new Promise<{ code: number; out: string }>((done) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', `server/src/cli/${script}.ts`],
          {
            cwd: root,
            env: {
              PATH: process.env.PATH ?? '',
              LINE_LOGIN_CHANNEL_ID: '1234567890',
              LIFF_ID,
              LINE_API_BASE: base,
              LINE_API_DATA_BASE: base,
              LINE_MESSAGING_ACCESS_TOKEN: token,
              DATABASE_PATH: join(dir, 'db.sqlite'),
            },
          },
          (err, stdout, stderr) =>
            done({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
        )
      })
    try {
      const first = await run('richmenu-deploy')
      expect(first.code, first.out).toBe(0)
      expect(first.out).toMatch(/guest\s+richmenu-\S+\s+created/)
      const second = await run('richmenu-deploy')
      expect(second.code, second.out).toBe(0)
      expect(second.out).toMatch(/guest\s+richmenu-\S+\s+unchanged/)
      expect(second.out).toMatch(/member\s+richmenu-\S+\s+unchanged/)
      expect(line.richMenus.size).toBe(2)
      expect(
        line.calls.filter((c) => c.path === '/v2/bot/richmenu' && c.method === 'POST'),
      ).toHaveLength(2)
      expect(line.calls.every((c) => c.headers.authorization === 'Bearer ***')).toBe(true)
      const sync = await run('richmenu-sync')
      expect(sync.code, sync.out).toBe(0)
      expect(sync.out).toContain('member menu linked to 0 user(s)')
      const noToken = await run('richmenu-deploy', '')
      expect(noToken.code).toBe(1)
      expect(noToken.out).toContain('LINE_MESSAGING_ACCESS_TOKEN is not set')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
