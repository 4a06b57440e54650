import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/**
 * The console's view of members (cards): search, a member's page, and erasure. Search paths
 * and their indexes: docs/decisions/047-member-search.md.
 */

/** One search hit. */
export interface MemberRow {
  id: number
  cardNumber: string
  name: string
  rank: string
  points: number
  linked: number | boolean
}

const hitColumns = sql`c.id, c.card_number AS "cardNumber", c.name, c.rank, c.points,
  EXISTS (SELECT 1 FROM line_links l WHERE l.card_id = c.id AND l.unlinked_at IS NULL) AS linked`

type Page = { after: number; limit: number }

const byNumber = query<{ cardNumber: string } & Page, MemberRow>(
  (p) => sql`SELECT ${hitColumns} FROM point_cards c
    WHERE c.card_number = ${p.cardNumber} AND c.id > ${p.after} ORDER BY c.id LIMIT ${p.limit}`,
)
/** The expression index `point_cards_last4_idx` (custom migration `member_search`). */
const byLast4 = query<{ last4: string } & Page, MemberRow>(
  (p) => sql`SELECT ${hitColumns} FROM point_cards c
    WHERE substr(c.card_number, 13, 4) = ${p.last4} AND c.id > ${p.after}
    ORDER BY c.id LIMIT ${p.limit}`,
)
/** SQLite, 3 characters or more: the FTS5 trigram index (a phrase: the characters in a row). */
const byNameTrigramSqlite = query<{ phrase: string } & Page, MemberRow>(
  (p) => sql`SELECT ${hitColumns} FROM point_cards c
    WHERE c.id IN (SELECT rowid FROM point_cards_name_fts WHERE point_cards_name_fts MATCH ${p.phrase})
      AND c.id > ${p.after}
    ORDER BY c.id LIMIT ${p.limit}`,
)
/**
 * PostgreSQL: the pg_trgm GIN index answers both (a name's start, or any part of 3+ chars).
 * The matches are found first (MATERIALIZED), then ordered: with `ORDER BY id LIMIT` alone the
 * planner may walk the primary key and test every name, all of them when nothing matches.
 */
const byNamePg = query<{ pattern: string } & Page, MemberRow>(
  (p) => sql`WITH m AS MATERIALIZED (
      SELECT id FROM point_cards WHERE name ILIKE ${p.pattern} AND id > ${p.after})
    SELECT ${hitColumns} FROM point_cards c JOIN m ON m.id = c.id
    ORDER BY c.id LIMIT ${p.limit}`,
)
/** SQLite, 1 or 2 characters: a name's beginning, a range of the name index. */
const byNamePrefixSqlite = query<{ lo: string; hi: string } & Page, MemberRow>(
  (p) => sql`SELECT ${hitColumns} FROM point_cards c
    WHERE c.name >= ${p.lo} AND c.name < ${p.hi} AND c.id > ${p.after}
    ORDER BY c.id LIMIT ${p.limit}`,
)

/** A member's page: the card and its current link. */
export interface MemberDetailRow {
  id: number
  cardNumber: string
  name: string
  rank: string
  points: number
  birthDate: string | null
  erasedAt: number | null
  lineUserId: string | null
  linkedAt: number | null
  followedAt: number | null
  blockedAt: number | null
  friendKnown: number | boolean
}
const detail = query<{ id: number }, MemberDetailRow>(
  (p) => sql`SELECT c.id, c.card_number AS "cardNumber", c.name, c.rank, c.points,
      c.birth_date AS "birthDate", c.erased_at AS "erasedAt",
      l.line_user_id AS "lineUserId", l.linked_at AS "linkedAt",
      f.followed_at AS "followedAt", f.blocked_at AS "blockedAt",
      (f.line_user_id IS NOT NULL) AS "friendKnown"
    FROM point_cards c
      LEFT JOIN line_links l ON l.card_id = c.id AND l.unlinked_at IS NULL
      LEFT JOIN line_friends f ON f.line_user_id = l.line_user_id
    WHERE c.id = ${p.id}`,
)
const consentsOf = query<{ id: number }, { version: string; at: number }>(
  (p) => sql`SELECT version, granted_at AS at FROM consents WHERE card_id = ${p.id}
    ORDER BY granted_at DESC, id DESC LIMIT 50`,
)
/** Messages to the LINE users ever linked to the card, newest first. */
const messagesOf = query<
  { id: number; limit: number },
  { at: number; kind: string; sentAt: number | null; failedAt: number | null }
>(
  (p) => sql`SELECT o.created_at AS at, o.kind, o.sent_at AS "sentAt", o.failed_at AS "failedAt"
    FROM outbox o
    WHERE o.line_user_id IN (SELECT line_user_id FROM line_links WHERE card_id = ${p.id})
    ORDER BY o.id DESC LIMIT ${p.limit}`,
)
const anonymise = query<{ id: number; at: number }, { id: number }>(
  (p) => sql`UPDATE point_cards SET name = '', birth_date = NULL, pin_hash = NULL,
      erased_at = ${p.at}, updated_at = ${p.at}
    WHERE id = ${p.id} AND erased_at IS NULL RETURNING id`,
)
/** The LINE user IDs of the card's (closed) link rows, replaced by a mark. */
const forgetLinkUsers = query<{ id: number }>(
  (p) => sql`UPDATE line_links SET line_user_id = 'erased' WHERE card_id = ${p.id}
    AND unlinked_at IS NOT NULL`,
)
const clearAttempts = query<{ cardKey: string }>(
  (p) => sql`DELETE FROM link_attempts WHERE card_key = ${p.cardKey}`,
)

/** Escapes LIKE's wildcards (`\` is the escape character PostgreSQL's ILIKE uses). */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`)

export const members = {
  byNumber: (db: Executor, cardNumber: string, after: number, limit: number) =>
    db.all(byNumber, { cardNumber, after, limit }),
  byLast4: (db: Executor, last4: string, after: number, limit: number) =>
    db.all(byLast4, { last4, after, limit }),
  /** Names containing `part` (3+ characters), or starting with it (1–2), case-insensitive. */
  byName(db: Executor, part: string, after: number, limit: number) {
    const short = [...part].length < 3
    if (db.dialect === 'postgres') {
      const pattern = `${short ? '' : '%'}${likeEscape(part)}%`
      return db.all(byNamePg, { pattern, after, limit })
    }
    if (short) {
      return db.all(byNamePrefixSqlite, { lo: part, hi: `${part}\u{10FFFF}`, after, limit })
    }
    return db.all(byNameTrigramSqlite, { phrase: `"${part.replace(/"/g, '""')}"`, after, limit })
  },
  detail: (db: Executor, id: number) => db.get(detail, { id }),
  consents: (db: Executor, id: number) => db.all(consentsOf, { id }),
  messages: (db: Executor, id: number, limit = 50) => db.all(messagesOf, { id, limit }),
  /** Removes the card's name, birth date and PIN hash; false when it was erased already. */
  anonymise: async (db: Executor, id: number, at: number) =>
    (await db.get(anonymise, { id, at })) !== undefined,
  forgetLinkUsers: (db: Executor, id: number) => db.run(forgetLinkUsers, { id }),
  /** Forgets the card's failed link attempts (its PIN-guessing lock). */
  clearAttempts: (db: Executor, cardKey: string) => db.run(clearAttempts, { cardKey }),
}
