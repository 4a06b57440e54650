import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

export type LinkMethod = 'liff' | 'issued' | 'account_link'

/** An active link joined with its card. */
export interface ActiveLink {
  linkId: number
  cardId: number
  cardNumber: string
  name: string
  rank: string
  points: number
  lastActivityAt: number | null
}

const activeLinkColumns = sql`SELECT l.id AS "linkId", c.id AS "cardId",
    c.card_number AS "cardNumber", c.name, c.rank, c.points,
    c.last_activity_at AS "lastActivityAt"
  FROM line_links l JOIN point_cards c ON c.id = l.card_id
  WHERE l.unlinked_at IS NULL`

/** The active link of a LINE user, with its card (the card screen and the till's scan). */
export const activeLinkByUser = query<{ userId: string }, ActiveLink>(
  (p) => sql`${activeLinkColumns} AND l.line_user_id = ${p.userId}`,
)
/** An active link with its card and the points the card earned since `since`. */
export interface ActiveStanding extends ActiveLink {
  /** Awards and bonuses since `since`, less voided awards (null: none). */
  earned: number | string | null
  /** The oldest entry counted in `earned`, or null. */
  oldest: number | string | null
  since: number | string
}

/** A LINE user's active link, its card and what the card earned since `since` (`GET /api/me`). */
export const activeStandingByUser = query<{ userId: string; since: number }, ActiveStanding>(
  (p) => sql`SELECT l.id AS "linkId", c.id AS "cardId",
      c.card_number AS "cardNumber", c.name, c.rank, c.points,
      c.last_activity_at AS "lastActivityAt",
      (SELECT SUM(CASE WHEN e.type IN ('award', 'bonus') THEN e.points
           WHEN e.type = 'void' AND e.points < 0 THEN e.points ELSE 0 END)
         FROM ledger e WHERE e.card_id = c.id AND e.created_at >= ${p.since}) AS earned,
      (SELECT MIN(e.created_at) FROM ledger e
         WHERE e.card_id = c.id AND e.created_at >= ${p.since}
           AND (e.type IN ('award', 'bonus') OR (e.type = 'void' AND e.points < 0))) AS oldest,
      CAST(${p.since} AS BIGINT) AS since
    FROM line_links l JOIN point_cards c ON c.id = l.card_id
    WHERE l.unlinked_at IS NULL AND l.line_user_id = ${p.userId}`,
)
const activeLinkById = query<{ linkId: number }, ActiveLink>(
  (p) => sql`${activeLinkColumns} AND l.id = ${p.linkId}`,
)
/** The id of a LINE user's active link (read from the partial unique index, no join). */
export const activeLinkIdByUser = query<{ userId: string }, { id: number }>(
  (p) => sql`SELECT id FROM line_links WHERE line_user_id = ${p.userId} AND unlinked_at IS NULL`,
)
const activeLinkOfCard = query<{ cardId: number }, { id: number; lineUserId: string }>(
  (p) => sql`SELECT id, line_user_id AS "lineUserId" FROM line_links
     WHERE card_id = ${p.cardId} AND unlinked_at IS NULL`,
)
/**
 * What the till needs of a scanned member: the card, its balance and rank, the LINE user and
 * the language LINE reported for them (for the wording of the push; null when unknown).
 */
export interface LinkedCard {
  cardId: number
  lineUserId: string
  lineLanguage: string | null
  rank: string
  points: number
}
const linkedCardById = query<{ linkId: number }, LinkedCard>(
  (p) => sql`SELECT c.id AS "cardId", l.line_user_id AS "lineUserId",
       f.language AS "lineLanguage", c.rank, c.points
     FROM line_links l JOIN point_cards c ON c.id = l.card_id
       LEFT JOIN line_friends f ON f.line_user_id = l.line_user_id
     WHERE l.id = ${p.linkId} AND l.unlinked_at IS NULL`,
)
const insert = query<
  { userId: string; cardId: number; method: LinkMethod; at: number },
  { id: number }
>(
  (p) => sql`INSERT INTO line_links (line_user_id, card_id, method, linked_at)
    VALUES (${p.userId}, ${p.cardId}, ${p.method}, ${p.at})
    ON CONFLICT DO NOTHING RETURNING id`,
)
const close = query<{ userId: string; at: number }, { cardId: number }>(
  (p) => sql`UPDATE line_links SET unlinked_at = ${p.at}
     WHERE line_user_id = ${p.userId} AND unlinked_at IS NULL RETURNING card_id AS "cardId"`,
)

/** Links between a LINE user and a card; an unlink closes the row, a relink adds a new one. */
export const links = {
  activeByUser: (db: Executor, userId: string) => db.get(activeLinkByUser, { userId }),
  /** See `activeStandingByUser`. */
  activeStandingByUser: (db: Executor, userId: string, since: number) =>
    db.get(activeStandingByUser, { userId, since }),
  activeById: (db: Executor, linkId: number) => db.get(activeLinkById, { linkId }),
  activeOfCard: (db: Executor, cardId: number) => db.get(activeLinkOfCard, { cardId }),
  /** The id of the user's active link, or undefined. */
  activeIdOfUser: async (db: Executor, userId: string) =>
    (await db.get(activeLinkIdByUser, { userId }))?.id,
  /**
   * The card behind an active link, with the link's LINE user and their language (undefined
   * once unlinked): one read where the till would otherwise make four (link, card, the card's
   * active link, the user's language).
   */
  cardOfActive: (db: Executor, linkId: number) => db.get(linkedCardById, { linkId }),
  /**
   * Adds an active link; false when the user or the card already has one (the partial unique
   * indexes decide, also against a concurrent transaction).
   */
  async insert(
    db: Executor,
    link: { userId: string; cardId: number; method: LinkMethod; at: number },
  ): Promise<boolean> {
    return (await db.get(insert, link)) !== undefined
  },
  /** Closes the user's active link; the card it was on, or undefined when there was none. */
  close: async (db: Executor, userId: string, at: number) =>
    (await db.get(close, { userId, at }))?.cardId,
}
