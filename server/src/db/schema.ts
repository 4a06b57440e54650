import { sql } from 'drizzle-orm'
import {
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core'

/**
 * The one source of truth for the tables. Times are Unix milliseconds (integers).
 * The ledger is append-only; `point_cards.points` is the running balance, changed only in the
 * same transaction that appends to the ledger, and checked never to go below zero.
 */

/** Point cards: imported from the retailer, issued in the app, or seeded in demo mode. */
export const pointCards = sqliteTable(
  'point_cards',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    cardNumber: text('card_number').notNull(),
    /** HMAC-SHA256(secret, cardNumber ":" pin), hex; null for a digital card with no PIN. */
    pinHash: text('pin_hash'),
    name: text('name').notNull(),
    rank: text('rank').notNull().default('regular'),
    birthDate: text('birth_date'),
    points: integer('points').notNull().default(0),
    source: text('source', { enum: ['import', 'issued', 'demo'] }).notNull(),
    lastActivityAt: integer('last_activity_at'),
    /** The last day (in the till's time zone, days since 1970-01-01) with a till transaction. */
    lastVisitDay: integer('last_visit_day'),
    /** The visit day before `last_visit_day` (set together with it). */
    prevVisitDay: integer('prev_visit_day'),
    /** Set when the member was erased on request (APPI): name and birth date removed. */
    erasedAt: integer('erased_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    // No index on rank or birth date: nothing looks cards up by them, and each index costs
    // every import row an insert (a birthday campaign would query by month and day anyway).
    uniqueIndex('point_cards_card_number_uq').on(t.cardNumber),
    // The console's member search (docs/decisions/047-member-search.md): a name's beginning
    // (queries too short for a trigram index). The last-4-digits and the trigram indexes are
    // in the custom migration `member_search` (drizzle-kit writes SQLite expression indexes
    // wrongly).
    index('point_cards_name_idx').on(t.name),
    check('point_cards_points_nonnegative', sql`${t.points} >= 0`),
  ],
)

/** Links between a LINE user and a card; an unlink closes the row, a relink adds a new one. */
export const lineLinks = sqliteTable(
  'line_links',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    lineUserId: text('line_user_id').notNull(),
    cardId: integer('card_id')
      .notNull()
      .references(() => pointCards.id),
    method: text('method', { enum: ['liff', 'issued', 'account_link'] }).notNull(),
    linkedAt: integer('linked_at').notNull(),
    unlinkedAt: integer('unlinked_at'),
  },
  (t) => [
    uniqueIndex('line_links_active_user_uq').on(t.lineUserId).where(sql`unlinked_at IS NULL`),
    uniqueIndex('line_links_active_card_uq').on(t.cardId).where(sql`unlinked_at IS NULL`),
    index('line_links_user_idx').on(t.lineUserId),
    index('line_links_card_idx').on(t.cardId),
  ],
)

/** Consents granted, versioned; never deleted. */
export const consents = sqliteTable(
  'consents',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    lineUserId: text('line_user_id').notNull(),
    cardId: integer('card_id')
      .notNull()
      .references(() => pointCards.id),
    purpose: text('purpose').notNull(),
    version: text('version').notNull(),
    grantedAt: integer('granted_at').notNull(),
  },
  (t) => [index('consents_user_idx').on(t.lineUserId), index('consents_card_idx').on(t.cardId)],
)

/** The append-only points ledger. */
export const ledger = sqliteTable(
  'ledger',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    cardId: integer('card_id')
      .notNull()
      .references(() => pointCards.id),
    type: text('type', {
      enum: ['bonus', 'award', 'redeem', 'expire', 'void', 'adjust', 'import', 'refund', 'coupon'],
    }).notNull(),
    points: integer('points').notNull(),
    balanceAfter: integer('balance_after').notNull(),
    storeCode: text('store_code'),
    staffId: text('staff_id'),
    idempotencyKey: text('idempotency_key'),
    /** Which QR token (its id) a till transaction used. */
    qrTokenId: text('qr_token_id'),
    /** The entry a void compensates. */
    voidsEntryId: integer('voids_entry_id'),
    purchaseAmount: integer('purchase_amount'),
    /** The award a refund takes points back from. */
    refundsEntryId: integer('refunds_entry_id'),
    /** The yen a refund gives back (summed against the award's purchase amount). */
    refundAmount: integer('refund_amount'),
    /** Points a refund was due to take back but could not (the member had spent them). */
    refundShortfall: integer('refund_shortfall'),
    note: text('note'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('ledger_card_idx').on(t.cardId, t.id),
    index('ledger_store_time_idx').on(t.storeCode, t.createdAt),
    index('ledger_refunds_idx').on(t.refundsEntryId),
    uniqueIndex('ledger_voids_uq').on(t.voidsEntryId).where(sql`voids_entry_id IS NOT NULL`),
    check('ledger_balance_nonnegative', sql`${t.balanceAfter} >= 0`),
  ],
)

/**
 * The linking bonus, once per card and once per LINE user, ever: the unique indexes are
 * what enforce it, whatever the code does.
 */
export const linkBonuses = sqliteTable(
  'link_bonuses',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    cardId: integer('card_id')
      .notNull()
      .references(() => pointCards.id),
    lineUserId: text('line_user_id').notNull(),
    ledgerId: integer('ledger_id')
      .notNull()
      .references(() => ledger.id),
    grantedAt: integer('granted_at').notNull(),
  },
  (t) => [
    uniqueIndex('link_bonuses_card_uq').on(t.cardId),
    uniqueIndex('link_bonuses_user_uq').on(t.lineUserId),
  ],
)

/** Failed link attempts, for the rate limits (kept in the database to survive restarts). */
export const linkAttempts = sqliteTable(
  'link_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    lineUserId: text('line_user_id').notNull(),
    /** HMAC of the card number: counts attempts per card without storing the number. */
    cardKey: text('card_key').notNull(),
    createdAt: integer('created_at').notNull(),
    /** When an operator cleared the card's lock: the attempt no longer counts for the card. */
    cardClearedAt: integer('card_cleared_at'),
  },
  (t) => [
    index('link_attempts_user_idx').on(t.lineUserId, t.createdAt),
    index('link_attempts_card_idx').on(t.cardKey, t.createdAt),
    index('link_attempts_created_idx').on(t.createdAt),
  ],
)

/** Stores (shops). A deactivated store keeps its history; its staff cannot be added to it. */
export const stores = sqliteTable('stores', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  createdAt: integer('created_at').notNull(),
  /** When head office closed the store (null: active). */
  deactivatedAt: integer('deactivated_at'),
})

/**
 * Staff accounts. `clerk` and `manager` work at one store (the till); the head-office roles
 * `operator` and `admin` may have none.
 */
export const staff = sqliteTable(
  'staff',
  {
    id: text('id').primaryKey(),
    /** The account's store; required for `clerk` and `manager` (checked by the service). */
    storeCode: text('store_code').references(() => stores.code),
    role: text('role', { enum: ['clerk', 'manager', 'operator', 'admin'] }).notNull(),
    /** scrypt, `scrypt$N$r$p$salt$hash` (base64url). */
    passwordHash: text('password_hash').notNull(),
    /** When the account was disabled (null: enabled); a disabled account cannot sign in. */
    disabledAt: integer('disabled_at'),
    /** The TOTP secret once confirmed, encrypted (AES-256-GCM, decision 041); null: none. */
    totpSecret: text('totp_secret'),
    /** A TOTP secret enrolled but not yet confirmed with a code, encrypted. */
    totpPendingSecret: text('totp_pending_secret'),
    /** The last TOTP time step accepted: a code of that step or earlier is not taken again. */
    totpLastStep: integer('totp_last_step'),
    lastSignInAt: integer('last_sign_in_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('staff_store_idx').on(t.storeCode)],
)

/**
 * Staff sign-in sessions: opaque tokens, stored hashed. A `bearer` session is the till's (and
 * API clients') token; a `console` session is the head-office console's cookie, which also
 * ends after 30 idle minutes (`last_seen_at`). Checked in the database on every request, so a
 * revocation holds on every instance at once.
 */
export const staffSessions = sqliteTable(
  'staff_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    staffId: text('staff_id')
      .notNull()
      .references(() => staff.id),
    kind: text('kind', { enum: ['bearer', 'console'] })
      .notNull()
      .default('bearer'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    lastSeenAt: integer('last_seen_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [
    index('staff_sessions_staff_idx').on(t.staffId),
    index('staff_sessions_expires_idx').on(t.expiresAt),
  ],
)

/**
 * TOTP recovery codes (decision 093): ten single-use codes shown once when an account enrolls
 * (or regenerates them), each stored as a scrypt hash like a password. A used code keeps its
 * row with `used_at`; regenerating replaces every row of the account.
 */
export const staffRecoveryCodes = sqliteTable(
  'staff_recovery_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    staffId: text('staff_id')
      .notNull()
      .references(() => staff.id),
    /**
     * The code's first 2 characters, in clear: a sign-in checks the one code they name, not
     * all ten (each check is a scrypt).
     */
    selector: text('selector').notNull(),
    /** scrypt, `scrypt$N$r$p$salt$hash` (base64url), of the whole normalised code. */
    codeHash: text('code_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [index('staff_recovery_codes_staff_idx').on(t.staffId)],
)

/**
 * The audit trail: who did what to which record, when and from which address. Append-only:
 * the app has no statement that changes or removes a row, and triggers refuse it
 * (drizzle/0011_audit_append_only.sql, drizzle-pg/0006_audit_append_only.sql).
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    /** The staff ID that acted (for a failed sign-in: the ID that was tried). */
    actor: text('actor').notNull(),
    /** A dotted name: `session.signIn`, `member.adjust`, `staff.create`, ... */
    action: text('action').notNull(),
    /** What was acted on (`card:123`, `staff:tanaka`, `store:S001`), or null. */
    target: text('target'),
    /** The client address (TRUST_PROXY decides whether X-Forwarded-For is believed). */
    address: text('address'),
    /** JSON object with the action's particulars (never a password, PIN, token or card number). */
    detail: text('detail').notNull(),
  },
  (t) => [
    index('audit_log_actor_idx').on(t.actor, t.id),
    index('audit_log_action_idx').on(t.action, t.id),
    index('audit_log_at_idx').on(t.at),
  ],
)

/** Failed staff logins, per staff ID and per client address, for the rate limits. */
export const loginAttempts = sqliteTable(
  'login_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    staffId: text('staff_id').notNull(),
    ip: text('ip').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('login_attempts_staff_idx').on(t.staffId, t.createdAt),
    index('login_attempts_ip_idx').on(t.ip, t.createdAt),
    index('login_attempts_created_idx').on(t.createdAt),
  ],
)

/**
 * Addresses an account signed in from (the last time, per address): a sign-in from one of them
 * is not slowed by failures elsewhere (docs/decisions/034).
 */
export const staffKnownAddresses = sqliteTable(
  'staff_known_addresses',
  {
    staffId: text('staff_id').notNull(),
    ip: text('ip').notNull(),
    lastSignInAt: integer('last_sign_in_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.staffId, t.ip] }),
    index('staff_known_addresses_at_idx').on(t.lastSignInAt),
  ],
)

/** Idempotency records for mutating staff calls, scoped to the store. */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    state: text('state', { enum: ['running', 'done'] }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.key] }),
    index('idempotency_keys_created_idx').on(t.createdAt),
  ],
)

/** Customer-side idempotency (issuing a digital card), keyed by LINE user and key. */
export const issuedCards = sqliteTable(
  'issued_cards',
  {
    lineUserId: text('line_user_id').notNull(),
    requestKey: text('request_key').notNull(),
    cardId: integer('card_id')
      .notNull()
      .references(() => pointCards.id),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.lineUserId, t.requestKey] })],
)

/** Friends of the Official Account, from follow/unfollow webhook events. */
export const lineFriends = sqliteTable(
  'line_friends',
  {
    lineUserId: text('line_user_id').primaryKey(),
    followedAt: integer('followed_at'),
    /** Set on `unfollow` (blocked): no pushes go to this user until the next `follow`. */
    blockedAt: integer('blocked_at'),
    language: text('language'),
    updatedAt: integer('updated_at').notNull(),
  },
  // The blocked few, for the segment count's "reachable" (repositories/segments.ts).
  (t) => [index('line_friends_blocked_idx').on(t.lineUserId).where(sql`blocked_at IS NOT NULL`)],
)

/** Webhook events already handled, by `webhookEventId` (redeliveries do nothing twice). */
export const webhookEvents = sqliteTable(
  'webhook_events',
  {
    webhookEventId: text('webhook_event_id').primaryKey(),
    type: text('type').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('webhook_events_received_idx').on(t.receivedAt)],
)

/**
 * The outbox: Messaging API calls (pushes, replies, rich menu links) written in the same
 * transaction as the change that caused them, sent by a worker with retries; `retry_key`
 * goes out as `X-Line-Retry-Key` so a retry never sends twice.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind').notNull(),
    lineUserId: text('line_user_id'),
    payload: text('payload').notNull(),
    retryKey: text('retry_key').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    sentAt: integer('sent_at'),
    failedAt: integer('failed_at'),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    /** Set while a worker is sending the row; a claim older than the lease is abandoned. */
    claimedAt: integer('claimed_at'),
  },
  (t) => [
    // Only unsent rows: the worker's "an earlier push to this user is still pending" check
    // (its NOT EXISTS) reads this, and must not walk every message a user was ever sent.
    index('outbox_pending_user_idx')
      .on(t.lineUserId, t.id)
      .where(sql`sent_at IS NULL AND failed_at IS NULL`),
    // The worker reads unsent rows in queue order (ORDER BY id): without `id` first in this
    // partial index SQLite scanned the whole table, sent rows included, on every run.
    index('outbox_pending_idx')
      .on(t.id, t.nextAttemptAt)
      .where(sql`sent_at IS NULL AND failed_at IS NULL`),
    uniqueIndex('outbox_retry_key_uq').on(t.retryKey),
  ],
)

/** Nonces of the Messaging API account-link flow (≥ 128 random bits, single use). */
export const accountLinkNonces = sqliteTable(
  'account_link_nonces',
  {
    nonce: text('nonce').primaryKey(),
    cardId: integer('card_id')
      .notNull()
      .references(() => pointCards.id),
    consentVersion: text('consent_version').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    /** The LINE user the link token was issued for; the `accountLink` event must match it. */
    lineUserId: text('line_user_id'),
  },
  (t) => [index('account_link_nonces_card_idx').on(t.cardId)],
)

/**
 * Link tokens this server asked LINE for (`/v2/bot/user/{userId}/linkToken`), stored as a
 * SHA-256 hash, so the company sign-in page knows which LINE user is signing in (for the
 * same rate limits as the LIFF link) without trusting anything the browser sends.
 */
export const accountLinkTokens = sqliteTable(
  'account_link_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    lineUserId: text('line_user_id').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    index('account_link_tokens_user_idx').on(t.lineUserId),
    index('account_link_tokens_expires_idx').on(t.expiresAt),
  ],
)

/** Rich menus deployed by `pnpm richmenu:deploy`, by name (`linked`, `unlinked`). */
export const richMenus = sqliteTable('rich_menus', {
  name: text('name').primaryKey(),
  richMenuId: text('rich_menu_id').notNull(),
  definitionHash: text('definition_hash').notNull(),
  deployedAt: integer('deployed_at').notNull(),
})

/** Messages sent per month (plans have free quotas). */
export const messageCounts = sqliteTable('message_counts', {
  month: text('month').primaryKey(),
  count: integer('count').notNull().default(0),
})

/**
 * Leases of scheduled jobs (points expiry, idempotency purge, ...): the instance holding a
 * job's lease runs it; a lease past `expires_at` is free for any instance to take.
 */
export const jobLeases = sqliteTable('job_leases', {
  name: text('name').primaryKey(),
  /** Which instance (and run) holds it. */
  holder: text('holder').notNull(),
  expiresAt: integer('expires_at').notNull(),
})

/**
 * Calls counted per one-second window, per key (`line-messaging`: every Messaging API call of
 * the channel): the outbox workers of every instance take their slots here, so the channel's
 * rate limit is shared by all instances rather than multiplied by their number.
 */
export const rateWindows = sqliteTable('rate_windows', {
  key: text('key').primaryKey(),
  /** Start of the current window (Unix ms, a whole second). */
  windowStart: integer('window_start').notNull(),
  /** Calls taken in that window. */
  used: integer('used').notNull(),
})

/**
 * LINE Login on the web: one row per sign-in started at `/login/line`, used once by its
 * callback. `state` and the browser-binding cookie's value are stored as SHA-256 hashes; the
 * nonce and the PKCE code verifier live here (never in the browser) until the callback.
 */
export const webLoginStates = sqliteTable(
  'web_login_states',
  {
    stateHash: text('state_hash').primaryKey(),
    /** SHA-256 of the random value in the browser's short-lived binding cookie. */
    bindingHash: text('binding_hash').notNull(),
    nonce: text('nonce').notNull(),
    codeVerifier: text('code_verifier').notNull(),
    /** Where to go after signing in: a same-origin path, checked before it was stored. */
    nextPath: text('next_path').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [index('web_login_states_expires_idx').on(t.expiresAt)],
)

/**
 * Web sessions of customers signed in with LINE Login on the web, by the SHA-256 of the
 * opaque token in their HttpOnly cookie. Revocable (`revoked_at`); they end when idle too
 * long (`last_seen_at`) or at `expires_at` (absolute).
 */
export const webSessions = sqliteTable(
  'web_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    lineUserId: text('line_user_id').notNull(),
    /** The display name from the ID token, when it carried one. */
    name: text('name'),
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [
    index('web_sessions_user_idx').on(t.lineUserId),
    index('web_sessions_expires_idx').on(t.expiresAt),
  ],
)

/**
 * QR tokens seen at a till (docs/decisions/002): the store that first scanned the token (scan,
 * award, redeem or adjust) and what it has been spent on (`spent`, bits: 1 a points
 * redemption, 2 a coupon use). One atomic upsert per use keeps a token at one store and each
 * kind of spending to once, on every instance. Rows go once the token has expired.
 */
export const qrTokenUses = sqliteTable(
  'qr_token_uses',
  {
    /** The token's id (its MAC, base64url): what the ledger's `qr_token_id` records. */
    tokenId: text('token_id').primaryKey(),
    storeCode: text('store_code').notNull(),
    spent: integer('spent').notNull().default(0),
    /** When the token expires (Unix ms). */
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('qr_token_uses_expires_idx').on(t.expiresAt)],
)

/**
 * Pre-aggregated daily counters for the console's dashboard (docs/kpis.md), one row per day in
 * the till's time zone (`day`: days since 1970-01-01 there), store ('' for none) and shard,
 * changed only by increments in the same transactions as the ledger, link, friend and scan
 * writes they count (services/daily-stats.ts). Shards spread concurrent increments over
 * several rows on PostgreSQL (SQLite uses shard 0). Columns counting a state "now"
 * (`friends`, `linked_friends`, `active30`, ...) hold changes: a sum over every day up to X
 * is the state at the end of X. docs/decisions/045-daily-counters.md.
 */
export const dailyStats = sqliteTable(
  'daily_stats',
  {
    day: integer('day').notNull(),
    storeCode: text('store_code').notNull(),
    shard: integer('shard').notNull(),
    newLinks: integer('new_links').notNull().default(0),
    unlinks: integer('unlinks').notNull().default(0),
    linkedFriends: integer('linked_friends').notNull().default(0),
    friends: integer('friends').notNull().default(0),
    newCards: integer('new_cards').notNull().default(0),
    bonusPoints: integer('bonus_points').notNull().default(0),
    pointsAwarded: integer('points_awarded').notNull().default(0),
    pointsRedeemed: integer('points_redeemed').notNull().default(0),
    pointsExpired: integer('points_expired').notNull().default(0),
    netPoints: integer('net_points').notNull().default(0),
    scans: integer('scans').notNull().default(0),
    awards: integer('awards').notNull().default(0),
    redeems: integer('redeems').notNull().default(0),
    visitsLinked: integer('visits_linked').notNull().default(0),
    visitsUnlinked: integer('visits_unlinked').notNull().default(0),
    purchasesLinked: integer('purchases_linked').notNull().default(0),
    purchaseYenLinked: integer('purchase_yen_linked').notNull().default(0),
    purchasesUnlinked: integer('purchases_unlinked').notNull().default(0),
    purchaseYenUnlinked: integer('purchase_yen_unlinked').notNull().default(0),
    active30: integer('active30').notNull().default(0),
    active90: integer('active90').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.storeCode, t.shard] })],
)

/**
 * Imports of point cards from the console: one row per upload, its progress (polled by the
 * console) and its outcome. `status`: `waiting` (for its file), `reading` (the file streams into the staging rows),
 * `merging` (validated; merged into the cards in short transactions), `done`, `failed`
 * (bad rows or a broken upload: nothing of the file was kept). docs/decisions/061.
 */
export const cardImportJobs = sqliteTable('card_import_jobs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  actor: text('actor').notNull(),
  status: text('status', { enum: ['waiting', 'reading', 'merging', 'done', 'failed'] }).notNull(),
  /** The upload's size as announced (Content-Length), or null. */
  bytesTotal: integer('bytes_total'),
  bytesRead: integer('bytes_read').notNull().default(0),
  rowsRead: integer('rows_read').notNull().default(0),
  /** Valid rows staged; once merging, the rows to merge. */
  rowsStaged: integer('rows_staged').notNull().default(0),
  rowsMerged: integer('rows_merged').notNull().default(0),
  /** The last staged line merged (the merge resumes after it). */
  mergedThroughLine: integer('merged_through_line').notNull().default(0),
  created: integer('created').notNull().default(0),
  updated: integer('updated').notNull().default(0),
  unchanged: integer('unchanged').notNull().default(0),
  pointsIgnored: integer('points_ignored').notNull().default(0),
  /** JSON array of `{line, message}` (at most 50), when failed. */
  errors: text('errors').notNull().default('[]'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
})

/** The valid rows of an import being read, before they are merged into the cards. */
export const cardImportRows = sqliteTable(
  'card_import_rows',
  {
    jobId: integer('job_id').notNull(),
    line: integer('line').notNull(),
    cardNumber: text('card_number').notNull(),
    pinHash: text('pin_hash').notNull(),
    name: text('name').notNull(),
    rank: text('rank'),
    birthDate: text('birth_date'),
    points: integer('points').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.jobId, t.line] }),
    uniqueIndex('card_import_rows_card_uq').on(t.jobId, t.cardNumber),
  ],
)

/**
 * Offline card codes (docs/decisions/067): one TOTP key per link, issued to the member's phone
 * while it is online and used to compute codes with no signal. A new key replaces the old one;
 * an unlink deletes it.
 */
export const deviceKeys = sqliteTable(
  'device_keys',
  {
    linkId: integer('link_id').notNull(),
    /** The TOTP secret (RFC 4648 base32), sealed like staff TOTP secrets. */
    secret: text('secret').notNull(),
    /** When it was issued (Unix ms). */
    issuedAt: integer('issued_at').notNull(),
  },
  // A table-level key: a column key would make `link_id` SQLite's rowid (with a default).
  (t) => [primaryKey({ columns: [t.linkId] })],
)

/**
 * Member facts for segments (docs/segments.md), kept in the same transaction as the ledger
 * entry that changes them (services/ledger.ts → repositories/member-facts.ts). A "day" is a
 * day number in Asia/Tokyo: floor((unix ms + 9 h) / 1 day) (Japan has no daylight saving).
 * `last_visit_day` is the day of the card's last till transaction (award or redeem at a store).
 */
export const memberFacts = sqliteTable(
  'member_facts',
  {
    cardId: integer('card_id')
      .notNull()
      .references(() => pointCards.id),
    lastVisitDay: integer('last_visit_day').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.cardId] })],
)

/** One row per card and Asia/Tokyo day with a till transaction: visits in the last N days. */
export const memberVisitDays = sqliteTable(
  'member_visit_days',
  {
    cardId: integer('card_id')
      .notNull()
      .references(() => pointCards.id),
    day: integer('day').notNull(),
  },
  (t) => [primaryKey({ columns: [t.cardId, t.day] }), index('member_visit_days_day_idx').on(t.day)],
)

/** One row per card and store where it had a till transaction. */
export const memberStoreVisits = sqliteTable(
  'member_store_visits',
  {
    cardId: integer('card_id')
      .notNull()
      .references(() => pointCards.id),
    storeCode: text('store_code').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.cardId, t.storeCode] }),
    index('member_store_visits_store_idx').on(t.storeCode, t.cardId),
  ],
)

/** A LINE user's messaging preferences; no row = the defaults (promotions on). */
export const memberPreferences = sqliteTable(
  'member_preferences',
  {
    lineUserId: text('line_user_id').primaryKey(),
    /** 1 = promotional messages wanted, 0 = turned off. */
    promotions: integer('promotions').notNull().default(1),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('member_preferences_off_idx').on(t.lineUserId).where(sql`promotions = 0`)],
)

/**
 * POS API keys (docs/decisions/089): a key acts as a till of its store on the staff routes its
 * scopes allow. Only the SHA-256 of the key is kept, with its visible prefix (`mck_xxxxxxxx`)
 * to recognise it; checked in the database on every request, so a revocation holds at once
 * on every instance. `last_used_at` is written at most once a minute per key.
 */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    storeCode: text('store_code').notNull(),
    name: text('name').notNull(),
    /** Comma-separated: `scan`, `points`, `coupons`. */
    scopes: text('scopes').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [
    uniqueIndex('api_keys_prefix_idx').on(t.prefix),
    uniqueIndex('api_keys_hash_idx').on(t.keyHash),
  ],
)

/**
 * Outbound webhook endpoints an admin registered (docs/decisions/090). The signing secret is
 * sealed (AES-256-GCM with a key derived from the server secret), shown once at creation.
 * A removed endpoint keeps its row (and its deliveries' history) with `deleted_at` set.
 */
export const webhookEndpoints = sqliteTable('webhook_endpoints', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  url: text('url').notNull(),
  /** Comma-separated event types (`member.linked`, `points.changed`, ...). */
  events: text('events').notNull(),
  secret: text('secret').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
  deletedAt: integer('deleted_at'),
})

/**
 * One event to one endpoint: queued in the transaction of the change, sent by the delivery
 * worker with retries for a day, in `id` order per (endpoint, `order_key`) — the member.
 */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    endpointId: integer('endpoint_id').notNull(),
    /** The event's ID (a UUID), the same for every endpoint it goes to. */
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** Events of one order key reach an endpoint in the order they were queued. */
    orderKey: text('order_key').notNull(),
    /** The JSON body sent, fixed when queued. */
    body: text('body').notNull(),
    createdAt: integer('created_at').notNull(),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    claimedAt: integer('claimed_at'),
    deliveredAt: integer('delivered_at'),
    failedAt: integer('failed_at'),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_idx').on(t.endpointId, t.eventId),
    index('webhook_deliveries_order_idx').on(t.endpointId, t.orderKey, t.id),
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt),
  ],
)
/** Segments saved by name in the console (the contract's segment JSON, validated on save). */
export const savedSegments = sqliteTable('saved_segments', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  /** The segment JSON. */
  segment: text('segment').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
})

/**
 * Campaigns: 1–5 messages multicast to the reachable members of a segment, in outbox batches
 * of ≤ 500 (docs/segments.md). The counters move in the transactions that record each batch.
 */
export const campaigns = sqliteTable(
  'campaigns',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    /** scheduled | sending | sent | cancelled | failed */
    status: text('status').notNull(),
    segment: text('segment').notNull(),
    messages: text('messages').notNull(),
    /** LINE's `customAggregationUnits` name of the campaign's multicasts. */
    aggregationUnit: text('aggregation_unit').notNull(),
    scheduledAt: integer('scheduled_at'),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
    recipients: integer('recipients').notNull().default(0),
    sent: integer('sent').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    excludedOptedOut: integer('excluded_opted_out').notNull().default(0),
    excludedBlocked: integer('excluded_blocked').notNull().default(0),
    excludedCap: integer('excluded_cap').notNull().default(0),
    /** Multicast batches queued, and those not yet sent or given up. */
    batches: integer('batches').notNull().default(0),
    pendingBatches: integer('pending_batches').notNull().default(0),
    /** Why a campaign failed to start (e.g. the quota). */
    error: text('error'),
  },
  (t) => [index('campaigns_status_idx').on(t.status, t.scheduledAt)],
)

/**
 * Promotional messages per member (campaigns, automations, coupon notices): one row per
 * source and LINE user — the frequency cap counts them, and a source reaches a user once.
 */
export const promoSends = sqliteTable(
  'promo_sends',
  {
    /** `campaign:12`, `automation:birthday:2026-12-01`, `coupon:3`, ... */
    source: text('source').notNull(),
    lineUserId: text('line_user_id').notNull(),
    sentAt: integer('sent_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.source, t.lineUserId] }),
    index('promo_sends_user_idx').on(t.lineUserId, t.sentAt),
  ],
)

/** LINE users (staff who follow the account) who receive a campaign's test send. */
export const testRecipients = sqliteTable('test_recipients', {
  lineUserId: text('line_user_id').primaryKey(),
  label: text('label').notNull(),
  createdAt: integer('created_at').notNull(),
})

/** The console's messaging settings: one row (id 1); no row = the defaults. */
export const messagingSettings = sqliteTable('messaging_settings', {
  id: integer('id').primaryKey().default(1),
  capMessages: integer('cap_messages').notNull(),
  capDays: integer('cap_days').notNull(),
  /** The Asia/Tokyo hour (0–23) of the daily automation run. */
  automationHour: integer('automation_hour').notNull(),
  updatedAt: integer('updated_at').notNull(),
})

/** Automated messages by kind (birthday, pointsExpiring, winBack, ...); no row = off. */
export const automations = sqliteTable('automations', {
  kind: text('kind').primaryKey(),
  enabled: integer('enabled').notNull().default(0),
  messages: text('messages').notNull(),
  params: text('params').notNull(),
  updatedAt: integer('updated_at').notNull(),
})

/** One run per automation kind and Asia/Tokyo date (the unique key makes the day's run once). */
export const automationRuns = sqliteTable(
  'automation_runs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind').notNull(),
    runDate: text('run_date').notNull(),
    startedAt: integer('started_at').notNull(),
    finishedAt: integer('finished_at'),
    targeted: integer('targeted').notNull().default(0),
    sent: integer('sent').notNull().default(0),
    excluded: integer('excluded').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    /** Multicast batches not yet sent or given up. */
    pendingBatches: integer('pending_batches').notNull().default(0),
  },
  (t) => [uniqueIndex('automation_runs_kind_date_uq').on(t.kind, t.runDate)],
)

/**
 * Which member got which automation for which occurrence (the year of a birthday, the expiry
 * date, the last visit of a lapse): an occurrence is messaged at most once.
 */
export const automationSends = sqliteTable(
  'automation_sends',
  {
    kind: text('kind').notNull(),
    cardId: integer('card_id').notNull(),
    occurrence: text('occurrence').notNull(),
    sentAt: integer('sent_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.cardId, t.occurrence] })],
)

/**
 * Coupon definitions (issue 16). Never edited once created: only ended early (`ended_at`).
 * `valid_from`/`valid_until` keep what the operator gave (a date or an ISO time); `starts_at`
 * and `ends_at` are the instants (`ends_at` exclusive). `used_count` is the net number of uses
 * (reversals taken off), moved by a conditional UPDATE that also enforces `total_limit`.
 */
export const coupons = sqliteTable(
  'coupons',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    title: text('title').notNull(),
    description: text('description'),
    imageUrl: text('image_url'),
    rewardType: text('reward_type', {
      enum: ['discountYen', 'discountPercent', 'freeItem', 'bonusPoints'],
    }).notNull(),
    /** The yen, the percent or the points of the reward (null for a free item). */
    rewardValue: integer('reward_value'),
    /** The free item's name. */
    rewardItem: text('reward_item'),
    validFrom: text('valid_from').notNull(),
    validUntil: text('valid_until').notNull(),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    validDaysAfterIssue: integer('valid_days_after_issue'),
    perMemberLimit: integer('per_member_limit').notNull().default(1),
    totalLimit: integer('total_limit'),
    usedCount: integer('used_count').notNull().default(0),
    minPurchaseYen: integer('min_purchase_yen'),
    /** JSON array of store codes; null: every store. */
    storeCodes: text('store_codes'),
    followUpCouponId: integer('follow_up_coupon_id'),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
    endedAt: integer('ended_at'),
  },
  (t) => [
    check(
      'coupons_used_within_limit',
      sql`${t.totalLimit} IS NULL OR ${t.usedCount} <= ${t.totalLimit}`,
    ),
    check('coupons_used_nonnegative', sql`${t.usedCount} >= 0`),
  ],
)

/**
 * A member's copies of coupons: one row per copy, unique per coupon, card and copy number.
 * `uses` counts every use ever (a use's number), `reversals` the reversed ones: the copy is
 * usable while `uses - reversals < per_member_limit` (a conditional UPDATE).
 */
export const memberCoupons = sqliteTable(
  'member_coupons',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    couponId: integer('coupon_id')
      .notNull()
      .references(() => coupons.id),
    cardId: integer('card_id')
      .notNull()
      .references(() => pointCards.id),
    copy: integer('copy').notNull().default(1),
    /** How it came: `segment`, `followUp`, `automation`, `demo`. */
    source: text('source').notNull(),
    issuedAt: integer('issued_at').notNull(),
    /** This copy's end (exclusive): the coupon's, or earlier with `valid_days_after_issue`. */
    validUntil: integer('valid_until').notNull(),
    uses: integer('uses').notNull().default(0),
    reversals: integer('reversals').notNull().default(0),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [
    uniqueIndex('member_coupons_copy_uq').on(t.couponId, t.cardId, t.copy),
    index('member_coupons_card_idx').on(t.cardId),
    index('member_coupons_issued_idx').on(t.issuedAt),
    index('member_coupons_coupon_idx').on(t.couponId, t.issuedAt),
    index('member_coupons_valid_until_idx').on(t.validUntil),
    check('member_coupons_reversals_within_uses', sql`${t.reversals} <= ${t.uses}`),
  ],
)

/** Uses of member coupons at the till: unique per member coupon and use number. */
export const couponRedemptions = sqliteTable(
  'coupon_redemptions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    memberCouponId: integer('member_coupon_id')
      .notNull()
      .references(() => memberCoupons.id),
    /** The use's number on its member coupon (1, 2, …; never reused). */
    useNo: integer('use_no').notNull(),
    couponId: integer('coupon_id')
      .notNull()
      .references(() => coupons.id),
    cardId: integer('card_id')
      .notNull()
      .references(() => pointCards.id),
    storeCode: text('store_code').notNull(),
    staffId: text('staff_id').notNull(),
    purchaseAmount: integer('purchase_amount'),
    /** The `coupon` ledger entry of a bonus-points reward. */
    ledgerId: integer('ledger_id'),
    /**
     * The follow-up copy this use issued (a "second-visit" chain), withdrawn by a reversal while
     * unused (decision 096). No foreign key: the withdrawn copy is deleted.
     */
    followUpMemberCouponId: integer('follow_up_member_coupon_id'),
    idempotencyKey: text('idempotency_key'),
    createdAt: integer('created_at').notNull(),
    reversedAt: integer('reversed_at'),
    reversedBy: text('reversed_by'),
  },
  (t) => [
    uniqueIndex('coupon_redemptions_use_uq').on(t.memberCouponId, t.useNo),
    index('coupon_redemptions_coupon_idx').on(t.couponId, t.createdAt),
    index('coupon_redemptions_created_idx').on(t.createdAt),
    index('coupon_redemptions_store_idx').on(t.storeCode, t.createdAt),
  ],
)

/** Expiry reminders sent (the `couponExpiring` automation): once per member coupon. */
export const couponReminders = sqliteTable(
  'coupon_reminders',
  {
    memberCouponId: integer('member_coupon_id')
      .notNull()
      .references(() => memberCoupons.id),
    remindedAt: integer('reminded_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.memberCouponId] })],
)
