import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { expect } from 'vitest'
import type { Database } from '../src/db/seam.ts'
import { randomUserId } from '../src/line/stand-in.ts'
import type { MessagingContext } from './messaging-support.ts'

let cardSeq = 0

/** A seeded member: a card of rank `rank` linked to a fresh LINE user (SQL, for speed). */
export interface SeededMember {
  cardId: number
  user: string
}

/**
 * `n` members of rank `rank` (a tag isolating a test's members), linked now, inserted in bulk
 * (a campaign over 1,203 members needs no 1,203 link requests).
 */
export async function seedMembers(
  db: Database,
  n: number,
  rank: string,
  o: { birthDate?: string; at?: number } = {},
): Promise<SeededMember[]> {
  const out: SeededMember[] = []
  const at = o.at ?? Date.now()
  for (let i = 0; i < n; i += 200) {
    const chunk = Array.from({ length: Math.min(200, n - i) }, () => {
      cardSeq++
      return {
        number: `9${String(process.pid % 1e5).padStart(5, '0')}${String(cardSeq).padStart(10, '0')}`,
        user: randomUserId(),
      }
    })
    const cards = await db.execute<{ id: number | string; cardNumber: string }>(
      sql`INSERT INTO point_cards (card_number, name, rank, birth_date, points, source, created_at,
          updated_at)
        VALUES ${sql.join(
          chunk.map(
            (c) =>
              sql`(${c.number}, ${'会員 テスト'}, ${rank}, ${o.birthDate ?? null}, 0, 'import', ${at}, ${at})`,
          ),
          sql`, `,
        )}
        RETURNING id, card_number AS "cardNumber"`,
    )
    const idOf = new Map(cards.map((c) => [c.cardNumber, Number(c.id)]))
    const members = chunk.map((c) => ({ cardId: idOf.get(c.number) as number, user: c.user }))
    await db.execute(
      sql`INSERT INTO line_links (line_user_id, card_id, method, linked_at)
        VALUES ${sql.join(
          members.map((m) => sql`(${m.user}, ${m.cardId}, 'liff', ${at})`),
          sql`, `,
        )}`,
    )
    out.push(...members)
  }
  return out
}

/** `{all: [rank in [tag]]}`. */
export const rankSegment = (tag: string) => ({ all: [{ field: 'rank', op: 'in', value: [tag] }] })

export const TEXT = [{ type: 'text', text: '今月のおすすめ 🎉 Spring sale' }]

/** Creates a campaign through the route; expects 201 unless `status` says otherwise. */
export async function createCampaign(
  ctx: Pick<MessagingContext, 'call'>,
  headers: Record<string, string>,
  body: Record<string, unknown>,
  status = 201,
) {
  const res = await ctx.call('POST', '/api/admin/campaigns', {
    headers: { ...headers, 'Idempotency-Key': randomUUID() },
    body: { messages: TEXT, ...body },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(status)
  return res
}

/** The multicast calls LINE accepted whose users are all in `users`. */
export function multicastsTo(ctx: Pick<MessagingContext, 'callsTo'>, users: readonly string[]) {
  const set = new Set(users)
  return ctx
    .callsTo('/v2/bot/message/multicast')
    .filter((c) => (c.body as { to: string[] }).to.every((u) => set.has(u)))
}
