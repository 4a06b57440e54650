/**
 * The statements the server sends for one till award (`POST /api/staff/points`, type award,
 * a linked member's QR token, a member who has visited today already), as captured from the
 * server on both dialects (docs/decisions/075; server/test/award-statements.test.ts fails when
 * the server's statements and these part ways): the write baselines (bench/baselines.ts) send
 * exactly these, in this order, written with `?` (numbered `$1`, `$2`, … for PostgreSQL).
 *
 * Outside a transaction: `session`, `findKey`. Then one transaction: `claimKey`, `useQr`,
 * `linkedCard`, `move`, `ledger`, `markVisit`, `addStats` (once; more on a card's first visit
 * of the day, as the server's counters do), `visitDay`, `visitStore`, `lastVisit`, `outbox`,
 * `webhookEndpoints` (the outbound webhooks a ledger change goes to), `completeKey`. On PostgreSQL two groups of these are one statement each (`PG_MERGED_SQL`).
 */
import { createHash } from 'node:crypto'
import { pointsChangedMessage } from '../server/src/line/messages.ts'
import { retryKeyFor } from '../server/src/line/outbox.ts'
import type { QrPayload } from '../server/src/services/qr-token.ts'

export const AWARD_SQL = {
  session: `SELECT s.id AS "staffId", s.store_code AS "storeCode", st.name AS "storeName", s.role,
      ss.token_hash AS "tokenHash", ss.kind, ss.last_seen_at AS "lastSeenAt",
      CASE WHEN s.totp_secret IS NULL THEN 0 ELSE 1 END AS "totpEnrolled",
      ss.created_at AS "createdAt", ss.expires_at AS "expiresAt"
    FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
      LEFT JOIN stores st ON st.code = s.store_code
    WHERE ss.token_hash = ? AND ss.revoked_at IS NULL AND ss.expires_at > ?
      AND s.disabled_at IS NULL AND (ss.kind = 'bearer' OR ss.last_seen_at > ?)`,
  findKey: `SELECT request_hash AS "requestHash", state, response_status AS "responseStatus",
      response_body AS "responseBody", created_at AS "createdAt"
    FROM idempotency_keys WHERE scope = ? AND key = ?`,
  claimKey: `INSERT INTO idempotency_keys (scope, key, request_hash, state, created_at)
    VALUES (?, ?, ?, 'running', ?) ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
  useQr: `INSERT INTO qr_token_uses (token_id, store_code, spent, expires_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (token_id) DO UPDATE SET spent = qr_token_uses.spent | excluded.spent
      WHERE qr_token_uses.store_code = excluded.store_code
        AND (qr_token_uses.spent & excluded.spent) = 0
    RETURNING token_id AS "tokenId"`,
  linkedCard: `SELECT c.id AS "cardId", l.line_user_id AS "lineUserId",
      f.language AS "lineLanguage", c.rank, c.points
    FROM line_links l JOIN point_cards c ON c.id = l.card_id
      LEFT JOIN line_friends f ON f.line_user_id = l.line_user_id
    WHERE l.id = ? AND l.unlinked_at IS NULL`,
  move: `UPDATE point_cards SET points = points + ?, last_activity_at = ?
    WHERE id = ? AND points + ? >= 0 RETURNING points`,
  ledger: `INSERT INTO ledger (card_id, type, points, balance_after, store_code, staff_id,
      idempotency_key, qr_token_id, voids_entry_id, purchase_amount, refunds_entry_id,
      refund_amount, refund_shortfall, note, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  markVisit: `UPDATE point_cards SET prev_visit_day = last_visit_day, last_visit_day = ?
    WHERE id = ? AND (last_visit_day IS NULL OR last_visit_day < ?)
    RETURNING prev_visit_day AS prev`,
  addStats: `INSERT INTO daily_stats (day, store_code, shard, new_links, unlinks, linked_friends,
      friends, new_cards, bonus_points, points_awarded, points_redeemed, points_expired,
      net_points, scans, awards, redeems, visits_linked, visits_unlinked, purchases_linked,
      purchase_yen_linked, purchases_unlinked, purchase_yen_unlinked, active30, active90)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (day, store_code, shard) DO UPDATE SET
      new_links = daily_stats.new_links + excluded.new_links,
      unlinks = daily_stats.unlinks + excluded.unlinks,
      linked_friends = daily_stats.linked_friends + excluded.linked_friends,
      friends = daily_stats.friends + excluded.friends,
      new_cards = daily_stats.new_cards + excluded.new_cards,
      bonus_points = daily_stats.bonus_points + excluded.bonus_points,
      points_awarded = daily_stats.points_awarded + excluded.points_awarded,
      points_redeemed = daily_stats.points_redeemed + excluded.points_redeemed,
      points_expired = daily_stats.points_expired + excluded.points_expired,
      net_points = daily_stats.net_points + excluded.net_points,
      scans = daily_stats.scans + excluded.scans,
      awards = daily_stats.awards + excluded.awards,
      redeems = daily_stats.redeems + excluded.redeems,
      visits_linked = daily_stats.visits_linked + excluded.visits_linked,
      visits_unlinked = daily_stats.visits_unlinked + excluded.visits_unlinked,
      purchases_linked = daily_stats.purchases_linked + excluded.purchases_linked,
      purchase_yen_linked = daily_stats.purchase_yen_linked + excluded.purchase_yen_linked,
      purchases_unlinked = daily_stats.purchases_unlinked + excluded.purchases_unlinked,
      purchase_yen_unlinked = daily_stats.purchase_yen_unlinked + excluded.purchase_yen_unlinked,
      active30 = daily_stats.active30 + excluded.active30,
      active90 = daily_stats.active90 + excluded.active90`,
  visitDay: 'INSERT INTO member_visit_days (card_id, day) VALUES (?, ?) ON CONFLICT DO NOTHING',
  visitStore: `INSERT INTO member_store_visits (card_id, store_code) VALUES (?, ?)
    ON CONFLICT DO NOTHING`,
  lastVisit: `INSERT INTO member_facts (card_id, last_visit_day, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (card_id) DO UPDATE SET
      last_visit_day = CASE WHEN excluded.last_visit_day > member_facts.last_visit_day
        THEN excluded.last_visit_day ELSE member_facts.last_visit_day END,
      updated_at = excluded.updated_at`,
  outbox: `INSERT INTO outbox (kind, line_user_id, payload, retry_key, next_attempt_at, created_at)
    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (retry_key) DO NOTHING RETURNING id`,
  webhookEndpoints: `SELECT id, events FROM webhook_endpoints WHERE deleted_at IS NULL ORDER BY id`,
  completeKey: `UPDATE idempotency_keys SET state = 'done', response_status = ?, response_body = ?
    WHERE scope = ? AND key = ?`,
} as const

/**
 * On PostgreSQL the server merges two groups of these into one statement each (data-modifying
 * WITH, docs/decisions/076): `move` + `ledger`, and `visitDay` + `visitStore` + `lastVisit`.
 * The pg-write baseline sends these instead, so both still send the same SQL.
 */
export const PG_MERGED_SQL = {
  moveAndLedger: `WITH moved AS (
      UPDATE point_cards SET points = points + ?, last_activity_at = ?
      WHERE id = ? AND points + ? >= 0 RETURNING points
    )
    INSERT INTO ledger (card_id, type, points, balance_after, store_code, staff_id,
      idempotency_key, qr_token_id, voids_entry_id, purchase_amount, refunds_entry_id,
      refund_amount, refund_shortfall, note, created_at)
    SELECT ?, ?, ?, moved.points, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM moved
    RETURNING id, balance_after AS balance`,
  visit: `WITH visit_day AS (
      INSERT INTO member_visit_days (card_id, day) VALUES (?, ?) ON CONFLICT DO NOTHING
    ), visit_store AS (
      INSERT INTO member_store_visits (card_id, store_code) VALUES (?, ?) ON CONFLICT DO NOTHING
    )
    INSERT INTO member_facts (card_id, last_visit_day, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (card_id) DO UPDATE SET
      last_visit_day = CASE WHEN excluded.last_visit_day > member_facts.last_visit_day
        THEN excluded.last_visit_day ELSE member_facts.last_visit_day END,
      updated_at = excluded.updated_at`,
} as const

/** The console's idle limit: a bearer session (the till's) is not subject to it. */
export const STAFF_IDLE_MS = 30 * 60_000

export interface StaffRow {
  staffId: string
  storeCode: string
  storeName: string | null
}

export interface LinkedCardRow {
  cardId: number
  lineUserId: string
  lineLanguage: string | null
  rank: string
  points: number
}

/** One award as the baselines carry it from the request into the transaction. */
export interface AwardInput {
  scope: string
  staffId: string
  storeName: string | null
  key: string
  hash: string
  linkId: number
  tokenId: string
  /** The QR token's expiry, Unix ms (as the server stores it). */
  qrExpiresAt: number
  amount: number
}

/** A session token's or a request's SHA-256, base64url (as the server hashes them). */
export const tokenHash = (s: string) => createHash('sha256').update(s).digest('base64url')

export function awardInput(
  staff: StaffRow,
  key: string,
  raw: string,
  input: { purchaseAmount: number },
  qr: QrPayload,
): AwardInput {
  return {
    scope: staff.storeCode,
    staffId: staff.staffId,
    storeName: staff.storeName,
    key,
    hash: tokenHash(`POST /api/staff/points\n${raw}`),
    linkId: qr.linkId,
    tokenId: qr.tokenId,
    qrExpiresAt: qr.expiresAt * 1000,
    amount: input.purchaseAmount,
  }
}

/** Asia/Tokyo's day number of a time (UTC+9 all year). */
export const tokyoDay = (at: number) => Math.floor((at + 9 * 3_600_000) / 86_400_000)

export function ledgerValues(
  cardId: number,
  points: number,
  balance: number,
  a: AwardInput,
  now: number,
): unknown[] {
  return [
    ...[cardId, 'award', points, balance, a.scope, a.staffId, a.key, a.tokenId],
    ...[null, a.amount, null, null, null, null, now],
  ]
}

/**
 * The daily counters' upserts of an award (services/daily-stats.ts): one row on a repeat
 * visit; on a card's first visit of the day (`visit` returned a row) the visit and the days
 * its 30- and 90-day activity begins and ends, in ascending day order.
 */
export function statsUpserts(
  day: number,
  store: string,
  shard: number,
  points: number,
  amount: number,
  visit: { prev: number | null } | undefined,
): unknown[][] {
  // new_links … active90, as in AWARD_SQL.addStats
  const counts = (c: Partial<Record<'visits' | 'a30' | 'a90', number>>, award: boolean) => [
    ...[0, 0, 0, 0, 0, 0, award ? points : 0, 0, 0, award ? points : 0, 0, award ? 1 : 0, 0],
    ...[c.visits ?? 0, 0, award ? 1 : 0, award ? amount : 0, 0, 0, c.a30 ?? 0, c.a90 ?? 0],
  ]
  if (!visit) return [[day, store, shard, ...counts({}, true)]]
  const changes = new Map<number, { a30: number; a90: number }>()
  const bump = (d: number, k: 'a30' | 'a90', n: number) => {
    const c = changes.get(d) ?? { a30: 0, a90: 0 }
    c[k] += n
    changes.set(d, c)
  }
  for (const [k, w] of [
    ['a30', 30],
    ['a90', 90],
  ] as const) {
    bump(visit.prev === null ? day : Math.max(day, visit.prev + w), k, 1)
    bump(day + w, k, -1)
  }
  const today = changes.get(day) ?? {}
  changes.delete(day)
  return [
    [day, store, shard, ...counts({ visits: 1, ...today }, true)],
    ...[...changes.keys()]
      .sort((x, y) => x - y)
      .map((d) => [d, store, shard, ...counts(changes.get(d) ?? {}, false)]),
  ]
}

/** The member's push notice, as the server's ledger hook queues it (Japanese). */
export function outboxValues(
  c: LinkedCardRow,
  storeName: string | null,
  entryId: number,
  points: number,
  balance: number,
  now: number,
): unknown[] {
  const ctx = {
    liffId: process.env.BENCH_LIFF_ID,
    storeName: 'Bench',
    lang: c.lineLanguage?.startsWith('en') ? ('en' as const) : ('ja' as const),
  }
  const payload = {
    to: c.lineUserId,
    messages: [pointsChangedMessage(ctx, { type: 'award', points, balance, storeName })],
  }
  return ['push', c.lineUserId, JSON.stringify(payload), retryKeyFor(`ledger:${entryId}`), now, now]
}
