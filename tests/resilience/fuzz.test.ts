import { createHash, randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import {
  assertReplayable,
  call,
  idTokenFor,
  importCards,
  type LinkedMember,
  linkMember,
  makeCards,
  openDb,
  randomSub,
  staffToken,
  type TestCard,
} from './helpers.ts'

type Sqlite = ReturnType<typeof openDb>

/**
 * Tables a 4xx may change: the failed attempts recorded on purpose (rate limits, and the audit
 * trail's failed sign-ins), and the bookkeeping of the server's own background work (job
 * leases, the LINE rate-limit window).
 */
const NOT_REQUEST_DATA = new Set([
  'link_attempts',
  'login_attempts',
  'audit_log',
  'job_leases',
  'rate_windows',
])

/** A digest of every row of every table but those, per table. */
function digest(sqlite: Sqlite): Record<string, string> {
  const tables = sqlite
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         AND name NOT LIKE '__drizzle%' ORDER BY name`,
    )
    .all() as { name: string }[]
  const out: Record<string, string> = {}
  for (const { name } of tables) {
    if (NOT_REQUEST_DATA.has(name)) continue
    const h = createHash('sha256')
    // Rows in a stable order without `rowid` (the member search's FTS5 tables have none).
    const rows = sqlite
      .prepare(`SELECT * FROM "${name}"`)
      .raw()
      .all()
      .map((row) => JSON.stringify(row))
      .sort()
    for (const row of rows) h.update(row)
    out[name] = h.digest('hex').slice(0, 16)
  }
  return out
}

/**
 * Waits until the messaging worker has sent everything queued by earlier (successful)
 * requests: a push or rich-menu switch still in flight would otherwise change the outbox
 * during the next request and look as if that request had written it.
 */
async function outboxSettled(sqlite: Sqlite): Promise<void> {
  const pending = sqlite.prepare(
    'SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL',
  )
  const deadline = Date.now() + 5_000
  while ((pending.get() as { n: number }).n > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** The credentials a request can carry (`signed-out`: a clerk's token after its sign-out). */
const AUTHS = [
  'none',
  'member',
  'unlinked',
  'clerk',
  'manager',
  'signed-out',
  'garbage',
  'basic',
] as const
type Auth = (typeof AUTHS)[number]
const STAFF_AUTHS: ReadonlySet<Auth> = new Set(['clerk', 'manager'])

/**
 * Who may get a 2xx from a path (server/src/app.ts and server/src/routes/*): anyone from the
 * public routes; a LINE user from the customer routes (`customerAuth`); a signed-in staff
 * member from the staff routes (`staffAuth`); only a manager from voids and adjustments
 * (`requireManager` in services/points.ts).
 */
type RouteClass = 'public' | 'customer' | 'staff' | 'manager'

function routeClass(pathname: string): RouteClass {
  let p = pathname
  try {
    p = decodeURI(pathname) // the router matches percent-decoded paths
  } catch {
    // not decodable: matched as it is
  }
  if (p === '/api/staff/login' || p === '/api/config') return 'public'
  if (/^\/api\/staff\/(adjust|transactions\/[^/]*\/void)(\/|$)/.test(p)) return 'manager'
  if (/^\/api\/staff(\/|$)/.test(p)) return 'staff'
  if (/^\/api(\/|$)/.test(p)) return 'customer'
  return 'public'
}

/**
 * The authorization matrix: why a 2xx answer to `auth` at `pathname` must not happen, or
 * null when it may. `signedOut` holds the staff credentials signed out earlier in the run.
 */
function matrixViolation(
  pathname: string,
  auth: Auth,
  status: number,
  signedOut: ReadonlySet<Auth>,
): string | null {
  if (status < 200 || status > 299) return null
  const cls = routeClass(pathname)
  if (cls === 'customer' && auth !== 'member' && auth !== 'unlinked') {
    return `a customer route answered ${status} to ${auth} (no LINE ID token)`
  }
  if ((cls === 'staff' || cls === 'manager') && !STAFF_AUTHS.has(auth)) {
    return `a staff route answered ${status} to ${auth} (no staff token)`
  }
  if ((cls === 'staff' || cls === 'manager') && signedOut.has(auth)) {
    return `a staff route answered ${status} to the ${auth}'s signed-out token`
  }
  if (cls === 'manager' && auth !== 'manager') {
    return `a manager-only route answered ${status} to ${auth}`
  }
  return null
}

/** Stand-ins in generated requests for values that exist only once the run has begun. */
const QR_A = '@@qr-member@@'
const QR_B = '@@qr-other@@'
const VOIDABLE = '@@voidable-tx@@'

const CONSENT_VERSION = '2026-11-01'
/** The balance the two members start every run with. */
const START_POINTS = 300

/**
 * The server and the credentials every run starts from: member A (the `member` credential)
 * linked to its card, member B (whose token no request carries: "another member"), a LINE
 * user U who has never linked (`unlinked`), live clerk and manager tokens, a clerk token
 * already signed out, an award on A's card a manager can void. `reset` restores all of it
 * before each run.
 */
interface World {
  server: RunningServer
  db: Sqlite
  q: ReturnType<typeof queries>
  cards: TestCard[]
  a: LinkedMember
  b: LinkedMember
  u: { sub: string; idToken: string }
  staff: { clerk: string; manager: string; signedOut: string }
  voidable: string
}

function sha256url(s: string): string {
  return createHash('sha256').update(s).digest('base64url')
}

async function mustCall(
  w: World,
  path: string,
  init: Parameters<typeof call>[2],
  status: number,
): Promise<unknown> {
  const res = await call(w.server.url, path, init)
  if (res.status !== status) {
    const why = res.status >= 400 ? JSON.stringify(res.body) : ''
    throw new Error(`setup ${path}: ${res.status} instead of ${status} ${why}`)
  }
  return res.body
}

/**
 * Brings the world back to its starting state, so that what a run does depends only on its
 * own requests (shrinking and `FC_SEED`/`FC_PATH` replays see the same server): the rate-limit
 * and idempotency records go (as if their windows had passed), a signed-out staff token is
 * replaced, A is linked to its own card again, a U that linked anything is replaced by a new
 * LINE user (its card freed), a voided award is replaced, and A's and B's balances are set
 * back to START_POINTS by a manager's adjustment. Links and points change only through the
 * API, so no cache of the server goes stale.
 */
async function reset(w: World): Promise<void> {
  const q = w.q
  if (q.leftovers.get()) {
    w.db.transaction(() => {
      for (const clear of q.clear) clear.run()
    })()
  }
  if (!q.liveSession.get(sha256url(w.staff.clerk), Date.now())) {
    w.staff.clerk = await staffToken(w.server.url)
  }
  if (!q.liveSession.get(sha256url(w.staff.manager), Date.now())) {
    w.staff.manager = await staffToken(w.server.url, 'demo-manager', 'demo-manager-pass')
  }
  const activeCard = (sub: string) => (q.activeCard.get(sub) as { id: number } | undefined)?.id
  const cardOf = (card: TestCard) =>
    q.cardByNumber.get(card.cardNumber) as { id: number; points: number }
  // Nothing but B's own token could unlink B, and no request carries it.
  if (activeCard(w.b.sub) !== cardOf(w.b.card).id) throw new Error('member B lost its card')
  if (q.everLinked.get(w.u.sub)) {
    if (activeCard(w.u.sub) !== undefined) {
      await mustCall(w, '/api/link', { method: 'DELETE', token: w.u.idToken }, 204)
    }
    const sub = randomSub()
    w.u = { sub, idToken: await idTokenFor(w.server.url, sub) }
  }
  if (activeCard(w.a.sub) !== cardOf(w.a.card).id) {
    if (activeCard(w.a.sub) !== undefined) {
      await mustCall(w, '/api/link', { method: 'DELETE', token: w.a.idToken }, 204)
    }
    await mustCall(
      w,
      '/api/link',
      {
        token: w.a.idToken,
        body: {
          cardNumber: w.a.card.cardNumber,
          pin: w.a.card.pin,
          consent: { version: CONSENT_VERSION, accepted: true },
        },
      },
      201,
    )
    const qr = (await mustCall(w, '/api/card/qr', { token: w.a.idToken }, 200)) as {
      token: string
    }
    w.a.qrToken = qr.token
  }
  if (!w.voidable || q.voided.get(w.voidable)) {
    const award = (await mustCall(
      w,
      '/api/staff/points',
      {
        token: w.staff.clerk,
        headers: { 'idempotency-key': randomUUID() },
        body: { qrToken: w.a.qrToken, type: 'award', purchaseAmount: 1000 },
      },
      200,
    )) as { transactionId: string }
    w.voidable = award.transactionId
  }
  for (const m of [w.a, w.b]) {
    const { points } = cardOf(m.card)
    if (points === START_POINTS) continue
    await mustCall(
      w,
      '/api/staff/adjust',
      {
        token: w.staff.manager,
        headers: { 'idempotency-key': randomUUID() },
        body: { cardNumber: m.card.cardNumber, points: START_POINTS - points, reason: 'reset' },
      },
      200,
    )
  }
  await outboxSettled(w.db)
}

/** The statements `reset` and `othersData` read and clear with. */
function queries(db: Sqlite) {
  return {
    leftovers: db
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM login_attempts) OR EXISTS (SELECT 1 FROM link_attempts)
           OR EXISTS (SELECT 1 FROM idempotency_keys) OR EXISTS (SELECT 1 FROM qr_token_uses) AS n`,
      )
      .pluck(),
    clear: ['login_attempts', 'link_attempts', 'idempotency_keys', 'qr_token_uses'].map((t) =>
      db.prepare(`DELETE FROM ${t}`),
    ),
    liveSession: db.prepare(
      'SELECT 1 FROM staff_sessions WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?',
    ),
    activeCard: db.prepare(
      'SELECT card_id AS id FROM line_links WHERE line_user_id = ? AND unlinked_at IS NULL',
    ),
    everLinked: db.prepare('SELECT 1 FROM line_links WHERE line_user_id = ?'),
    cardByNumber: db.prepare('SELECT id, points FROM point_cards WHERE card_number = ?'),
    voided: db.prepare('SELECT 1 FROM ledger WHERE voids_entry_id = ?'),
    othersCards: db
      .prepare(
        `SELECT card_id FROM line_links WHERE unlinked_at IS NULL AND line_user_id <> ?
        ORDER BY card_id`,
      )
      .pluck(),
    card: db.prepare('SELECT * FROM point_cards WHERE id = ?').raw(),
    ledger: db.prepare('SELECT * FROM ledger WHERE card_id = ? ORDER BY id').raw(),
    links: db.prepare('SELECT * FROM line_links WHERE card_id = ? ORDER BY id').raw(),
    consents: db.prepare('SELECT * FROM consents WHERE card_id = ? ORDER BY id').raw(),
  }
}

/**
 * Everything of the members linked to anyone but `caller` (their card rows, ledgers, links
 * and consents): what a customer's request may never change.
 */
function othersData(w: World, caller: string | null): unknown[] {
  const { q } = w
  return (q.othersCards.all(caller ?? '') as number[]).map((id) => ({
    card: q.card.get(id),
    ledger: q.ledger.all(id),
    links: q.links.all(id),
    consents: q.consents.all(id),
  }))
}

function authHeader(w: World, auth: Auth): string | undefined {
  switch (auth) {
    case 'none':
      return undefined
    case 'member':
      return `Bearer ${w.a.idToken}`
    case 'unlinked':
      return `Bearer ${w.u.idToken}`
    case 'clerk':
      return `Bearer ${w.staff.clerk}`
    case 'manager':
      return `Bearer ${w.staff.manager}`
    case 'signed-out':
      return `Bearer ${w.staff.signedOut}`
    case 'garbage':
      return 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.AAAA'
    case 'basic':
      return 'Basic ZGVtbzpkZW1v'
  }
}

/** The LINE user a customer credential stands for. */
function callerOf(w: World, auth: Auth): string | null {
  return auth === 'member' ? w.a.sub : auth === 'unlinked' ? w.u.sub : null
}

describe('fuzz: every credential against every route, then schema-aware random requests', () => {
  const w = {} as World
  beforeAll(async () => {
    w.server = await startServer({ env: { CARD_TOKEN_TTL_SECONDS: '3600' } })
    // A's card, B's card, and free cards a request may link.
    w.cards = makeCards(6, 3, START_POINTS)
    importCards(w.server, w.cards)
    w.db = openDb(w.server.databasePath)
    w.q = queries(w.db)
    w.a = await linkMember(w.server.url, w.cards[0]!)
    w.b = await linkMember(w.server.url, w.cards[1]!)
    const sub = randomSub()
    w.u = { sub, idToken: await idTokenFor(w.server.url, sub) }
    w.staff = {
      clerk: await staffToken(w.server.url),
      manager: await staffToken(w.server.url, 'demo-manager', 'demo-manager-pass'),
      signedOut: await staffToken(w.server.url),
    }
    await mustCall(w, '/api/staff/logout', { method: 'POST', token: w.staff.signedOut }, 204)
    w.voidable = ''
    await reset(w)
  }, 90_000)
  afterAll(async () => {
    w.db?.close()
    await w.server?.stop()
    if (w.server) removeDataDir(w.server.dataDir)
  })

  /** Sends one request as `auth`; checks what no answer may do, whatever the request. */
  async function send(
    r: {
      auth: Auth
      method: string
      path: string
      body?: string
      contentType?: string
      headers?: Record<string, string>
    },
    signedOut: Set<Auth>,
  ): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { ...r.headers }
    const auth = authHeader(w, r.auth)
    if (auth) headers.authorization = auth
    if (r.contentType) headers['content-type'] = r.contentType
    const path = r.path.replaceAll(VOIDABLE, w.voidable)
    const body = r.body?.replaceAll(QR_A, w.a.qrToken).replaceAll(QR_B, w.b.qrToken)
    const caller = callerOf(w, r.auth)
    await outboxSettled(w.db)
    const before = digest(w.db)
    const others = STAFF_AUTHS.has(r.auth) ? null : othersData(w, caller)
    const res = await fetch(`${w.server.url}${path}`, {
      method: r.method,
      headers,
      body: r.method === 'GET' || r.method === 'HEAD' ? undefined : body,
    })
    const text = await res.text()
    // An error's body says why; a success's may hold a token or a PIN, so it is left out.
    const label = `${r.auth}: ${r.method} ${path} → ${res.status} ${res.ok ? '' : text.slice(0, 300)}`
    expect(res.status, label).toBeLessThan(500)
    const { pathname } = new URL(`${w.server.url}${path}`)
    expect(matrixViolation(pathname, r.auth, res.status, signedOut), label).toBeNull()
    if (res.ok && pathname === '/api/staff/logout') signedOut.add(r.auth)
    // A customer's request, or one without credentials, leaves every other member as it was.
    if (others) expect(othersData(w, caller), `${label}: changed another member`).toEqual(others)
    if (res.status >= 400) {
      expect(digest(w.db), `${label}: a 4xx changed data`).toEqual(before)
      if (pathname.startsWith('/api/') && r.method !== 'HEAD') {
        const parsed = JSON.parse(text) as { error: { code: string; message: string } }
        expect(typeof parsed.error.code, label).toBe('string')
        expect(typeof parsed.error.message, label).toBe('string')
      }
    }
    return { status: res.status, text }
  }

  it('answers every credential on every route as the authorization matrix says', async () => {
    const consent = { version: CONSENT_VERSION, accepted: true }
    const free = w.cards[2]!
    const json = (v: unknown) => JSON.stringify(v)
    const idem = () => ({ 'idempotency-key': randomUUID() })
    const customer = { member: 200, unlinked: 200 }
    const staff = { clerk: 200, manager: 200 }
    /** A well-formed request per route and the status each credential gets (else `rest`). */
    const cases: {
      method: string
      path: string
      body?: () => string
      contentType?: string
      headers?: () => Record<string, string>
      expected: Partial<Record<Auth, number>>
      rest: number
    }[] = [
      { method: 'GET', path: '/healthz', expected: {}, rest: 200 },
      { method: 'GET', path: '/api/config', expected: {}, rest: 200 },
      { method: 'GET', path: '/api/me', expected: customer, rest: 401 },
      {
        method: 'POST',
        path: '/api/link',
        body: () => json({ cardNumber: free.cardNumber, pin: free.pin, consent }),
        expected: { unlinked: 201, member: 409 },
        rest: 401,
      },
      {
        // another member's card, with its right PIN
        method: 'POST',
        path: '/api/link',
        body: () => json({ cardNumber: w.b.card.cardNumber, pin: w.b.card.pin, consent }),
        expected: { unlinked: 409, member: 409 },
        rest: 401,
      },
      { method: 'DELETE', path: '/api/link', expected: { member: 204, unlinked: 404 }, rest: 401 },
      {
        method: 'POST',
        path: '/api/cards',
        body: () => json({ name: 'Fuzz', consent }),
        headers: idem,
        expected: { unlinked: 201, member: 409 },
        rest: 401,
      },
      { method: 'GET', path: '/api/card/qr', expected: { member: 200, unlinked: 404 }, rest: 401 },
      { method: 'GET', path: '/api/points/history?limit=5', expected: customer, rest: 401 },
      {
        method: 'POST',
        path: '/api/staff/login',
        body: () => json({ staffId: 'demo-clerk', password: 'demo-clerk-pass' }),
        expected: {},
        rest: 200,
      },
      { method: 'GET', path: '/api/staff/me', expected: staff, rest: 401 },
      {
        method: 'POST',
        path: '/api/staff/logout',
        expected: { clerk: 204, manager: 204 },
        rest: 401,
      },
      {
        method: 'POST',
        path: '/api/staff/scan',
        body: () => json({ qrToken: w.b.qrToken }),
        expected: staff,
        rest: 401,
      },
      {
        method: 'POST',
        path: '/api/staff/points',
        body: () => json({ qrToken: w.b.qrToken, type: 'award', purchaseAmount: 500 }),
        headers: idem,
        expected: staff,
        rest: 401,
      },
      {
        method: 'POST',
        path: '/api/staff/points',
        body: () => json({ qrToken: w.a.qrToken, type: 'redeem', points: 10 }),
        headers: idem,
        expected: staff,
        rest: 401,
      },
      {
        method: 'POST',
        path: `/api/staff/transactions/${VOIDABLE}/void`,
        body: () => json({ reason: 'fuzz' }),
        headers: idem,
        expected: { manager: 200, clerk: 403 },
        rest: 401,
      },
      {
        method: 'POST',
        path: '/api/staff/adjust',
        body: () => json({ cardNumber: w.b.card.cardNumber, points: 5, reason: 'fuzz' }),
        headers: idem,
        expected: { manager: 200, clerk: 403 },
        rest: 401,
      },
      { method: 'GET', path: '/api/staff/transactions', expected: staff, rest: 401 },
      {
        method: 'POST',
        path: '/webhook/line',
        body: () => json({ destination: 'U0', events: [] }),
        headers: () => ({ 'x-line-signature': `${'A'.repeat(43)}=` }),
        expected: {},
        rest: 401,
      },
      { method: 'GET', path: '/account-link?linkToken=nope', expected: {}, rest: 410 },
      {
        method: 'POST',
        path: '/account-link',
        body: () => 'linkToken=nope&cardNumber=1&pin=1234&consent=yes',
        contentType: 'application/x-www-form-urlencoded',
        expected: {},
        rest: 410,
      },
    ]
    for (const c of cases) {
      for (const auth of AUTHS) {
        await reset(w)
        const { status } = await send(
          {
            auth,
            method: c.method,
            path: c.path,
            body: c.body?.(),
            contentType: c.body ? (c.contentType ?? 'application/json') : undefined,
            headers: c.headers?.(),
          },
          new Set(),
        )
        expect(status, `${auth}: ${c.method} ${c.path}`).toBe(c.expected[auth] ?? c.rest)
      }
    }
  }, 55_000)

  /**
   * Each run is 1 to 3 requests sent from the state `reset` restores, so a run does the same
   * whatever ran before it; a failure ends with the `FC_SEED=… FC_PATH=…` to set to replay it.
   */
  it('never answers 5xx, a 4xx changes no data, and every 2xx keeps the matrix', async () => {
    const text = fc.string({ maxLength: 40 })
    const int = fc.oneof(
      fc.integer({ min: -5, max: 20_000 }),
      fc.integer(),
      fc.constantFrom(0, 1, 10_000_000, 10_000_001, 2 ** 53, -(2 ** 53)),
      fc.double(),
    )
    /** Mostly a valid value, sometimes any JSON. */
    const field = <T>(valid: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: fc.jsonValue() })
    const cardNumber = field(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...w.cards.map((c) => c.cardNumber)) },
        { weight: 1, arbitrary: fc.stringMatching(/^[0-9 -]{0,20}$/) },
      ),
    )
    const pin = field(
      fc.oneof(fc.constantFrom(...w.cards.map((c) => c.pin)), fc.stringMatching(/^\d{0,5}$/)),
    )
    const qrToken = field(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(QR_A, QR_B) },
        { weight: 1, arbitrary: fc.stringMatching(/^[A-Z2-7]{30,40}$/) },
        { weight: 1, arbitrary: text },
      ),
    )
    const consent = field(
      fc.record({
        version: fc.oneof({ weight: 3, arbitrary: fc.constant(CONSENT_VERSION) }, text),
        accepted: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, fc.boolean()),
      }),
    )
    const points = field(int)
    const shapes = {
      link: fc.record({ cardNumber, pin, consent }),
      cards: fc.record({ name: field(text), consent }),
      login: fc.record({
        staffId: field(fc.constantFrom('demo-clerk', 'demo-manager', 'nobody')),
        password: field(
          fc.oneof({ weight: 3, arbitrary: text }, fc.constantFrom('demo-clerk-pass')),
        ),
      }),
      scan: fc.record({ qrToken }),
      points: fc.oneof(
        fc.record({
          qrToken,
          type: field(fc.constantFrom('award', 'redeem')),
          purchaseAmount: points,
        }),
        fc.record({ qrToken, type: field(fc.constantFrom('award', 'redeem')), points }),
      ),
      void: fc.record({ reason: field(text) }, { requiredKeys: [] }),
      adjust: fc.oneof(
        fc.record({ cardNumber, points, reason: field(text) }),
        fc.record({ qrToken, points, reason: field(text) }),
      ),
      webhook: fc.record({ destination: field(text), events: field(fc.array(fc.jsonValue())) }),
    }
    /** Any of the shapes, with keys left out, or any object. */
    const anyBody = fc.oneof(
      ...Object.values(shapes),
      fc.record({ cardNumber, pin, consent, qrToken, points, reason: text }, { requiredKeys: [] }),
      fc.dictionary(text, fc.jsonValue(), { maxKeys: 4 }),
    )
    const form = fc
      .record({ linkToken: text, cardNumber: fc.string(), pin: text, consent: text })
      .map((f) => new URLSearchParams(f).toString())
    const ROUTES: {
      method: string
      path: string
      query?: fc.Arbitrary<string>
      body?: fc.Arbitrary<unknown>
      form?: boolean
    }[] = [
      { method: 'GET', path: '/healthz' },
      { method: 'GET', path: '/api/config' },
      { method: 'GET', path: '/api/me' },
      { method: 'POST', path: '/api/link', body: shapes.link },
      { method: 'DELETE', path: '/api/link' },
      { method: 'POST', path: '/api/cards', body: shapes.cards },
      { method: 'GET', path: '/api/card/qr' },
      {
        method: 'GET',
        path: '/api/points/history',
        query: fc
          .record({ cursor: text, limit: fc.nat(101).map(String) }, { requiredKeys: [] })
          .map((q) => new URLSearchParams(q).toString()),
      },
      { method: 'POST', path: '/api/staff/login', body: shapes.login },
      { method: 'GET', path: '/api/staff/me' },
      { method: 'POST', path: '/api/staff/logout' },
      { method: 'POST', path: '/api/staff/scan', body: shapes.scan },
      { method: 'POST', path: '/api/staff/points', body: shapes.points },
      { method: 'POST', path: `/api/staff/transactions/${VOIDABLE}/void`, body: shapes.void },
      { method: 'POST', path: '/api/staff/adjust', body: shapes.adjust },
      {
        method: 'GET',
        path: '/api/staff/transactions',
        query: fc
          .record(
            { mine: fc.constantFrom('1', '0', 'x'), before: fc.nat().map(String) },
            {
              requiredKeys: [],
            },
          )
          .map((q) => new URLSearchParams(q).toString()),
      },
      { method: 'POST', path: '/webhook/line', body: shapes.webhook },
      {
        method: 'GET',
        path: '/account-link',
        query: text.map((t) => new URLSearchParams({ linkToken: t }).toString()),
      },
      { method: 'POST', path: '/account-link', form: true },
    ]
    const allPaths = ROUTES.map((r) => r.path)
    const request = fc.constantFrom(...ROUTES).chain((route) =>
      fc.record({
        // the credentials that can succeed somewhere twice as often as those that never can
        auth: fc.oneof(
          { weight: 2, arbitrary: fc.constantFrom<Auth>('member', 'unlinked', 'clerk', 'manager') },
          { weight: 1, arbitrary: fc.constantFrom<Auth>('none', 'signed-out', 'garbage', 'basic') },
        ),
        method: fc.oneof(
          { weight: 8, arbitrary: fc.constant(route.method) },
          {
            weight: 1,
            arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
          },
        ),
        path: fc.oneof(
          {
            weight: 8,
            arbitrary: route.query
              ? fc.option(route.query).map((q) => (q ? `${route.path}?${q}` : route.path))
              : fc.constant(route.path),
          },
          { weight: 1, arbitrary: fc.webSegment().map((s) => `${route.path}/${s}`) },
          { weight: 1, arbitrary: fc.webQueryParameters().map((q) => `${route.path}?${q}`) },
          { weight: 1, arbitrary: fc.constantFrom(...allPaths) },
          { weight: 1, arbitrary: fc.webPath() },
          {
            weight: 1,
            arbitrary: fc
              .integer({ min: -3, max: 10 ** 16 })
              .map((n) => `/api/staff/transactions/${n}/void`),
          },
        ),
        contentType: fc.oneof(
          {
            weight: 6,
            arbitrary: fc.constant(
              route.form ? 'application/x-www-form-urlencoded' : 'application/json',
            ),
          },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              'application/json; charset=utf-8',
              'text/plain',
              'none',
              'application/x-www-form-urlencoded',
            ),
          },
        ),
        idempotencyKey: fc.oneof(
          { weight: 4, arbitrary: fc.uuid() },
          { weight: 1, arbitrary: fc.constant('fixed-key') },
          { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
          { weight: 1, arbitrary: fc.constant(null) },
        ),
        signature: fc.option(fc.base64String({ maxLength: 60 })),
        body: fc.oneof(
          {
            weight: 6,
            arbitrary: route.form ? form : (route.body ?? anyBody).map((b) => JSON.stringify(b)),
          },
          { weight: 1, arbitrary: anyBody.map((b) => JSON.stringify(b)) },
          { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
          { weight: 1, arbitrary: fc.constant('') },
        ),
      }),
    )

    let requests = 0
    let fourXx = 0
    const granted: Record<RouteClass, number> = { public: 0, customer: 0, staff: 0, manager: 0 }
    await assertReplayable(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 3 }), async (run) => {
        await reset(w)
        const signedOut = new Set<Auth>()
        for (const r of run) {
          const headers: Record<string, string> = {}
          // fetch refuses non-Latin-1 header values, as any HTTP client would
          if (r.idempotencyKey !== null && /^[\x20-\xff]*$/.test(r.idempotencyKey)) {
            headers['idempotency-key'] = r.idempotencyKey
          }
          if (r.signature !== null) headers['x-line-signature'] = r.signature
          const { status } = await send(
            {
              auth: r.auth,
              method: r.method,
              path: r.path,
              body: r.body,
              contentType: r.contentType === 'none' ? undefined : r.contentType,
              headers,
            },
            signedOut,
          )
          requests++
          if (status >= 400) fourXx++
          if (status >= 200 && status < 300) {
            granted[routeClass(new URL(`${w.server.url}${r.path}`).pathname)]++
          }
        }
      }),
      { numRuns: 200 },
    )
    expect(requests).toBeGreaterThanOrEqual(200)
    expect(fourXx).toBeGreaterThan(100)
    // The matrix is checked on real successes, not only on refusals.
    expect(granted.customer).toBeGreaterThanOrEqual(5)
    expect(granted.staff).toBeGreaterThanOrEqual(5)
  }, 55_000)
})
