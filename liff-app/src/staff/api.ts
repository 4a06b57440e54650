import type { AppType } from '@membercard/server'
import { type ErrorCode, isErrorBody } from '@membercard/shared/errors'
import { hc } from 'hono/client'
import type { CouponRedemption, CouponReversal } from '../coupons/types.ts'
import { readFailure } from '../lib/failure.ts'
import type { TillErrorCode } from './errors.ts'
import { staffToken } from './token.ts'

export { staffToken } from './token.ts'

/** A failed till call: the contract's error code, or `NETWORK` when no answer came. */
export class TillApiError extends Error {
  constructor(
    readonly code: ErrorCode | TillErrorCode | 'NETWORK',
    readonly status: number,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(code)
    this.name = 'TillApiError'
  }
}

type Listener = () => void
const signedOutListeners = new Set<Listener>()

/** Called when the server refuses the staff token (idle too long, signed out elsewhere). */
export function onSignedOut(listener: Listener): () => void {
  signedOutListeners.add(listener)
  return () => signedOutListeners.delete(listener)
}

/** A new idempotency key: one per intended transaction. */
export function newIdempotencyKey(): string {
  // randomUUID needs a secure context; a shop tablet on plain http over the LAN has none.
  if (typeof crypto.randomUUID === 'function' && globalThis.isSecureContext) {
    return crypto.randomUUID()
  }
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * The contract's coupon codes, read even before the shared code list carries them (the coupon
 * routes' branch adds them there, after which `isErrorBody` reads them and this adds nothing).
 */
const COUPON_CODES: ReadonlySet<string> = new Set([
  'COUPON_NOT_FOUND',
  'COUPON_ALREADY_USED',
  'COUPON_EXPIRED',
  'COUPON_CONDITION_NOT_MET',
])
function couponCodeOf(body: unknown): TillErrorCode | null {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code
  return typeof code === 'string' && COUPON_CODES.has(code) ? (code as TillErrorCode) : null
}

async function failureOf(res: Response): Promise<TillApiError> {
  const { body, retryAfterSeconds } = await readFailure(res)
  const code = isErrorBody(body)
    ? body.error.code
    : (couponCodeOf(body) ?? (res.status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_FAILED'))
  return new TillApiError(code, res.status, retryAfterSeconds)
}

/** Answers worth retrying with the SAME key: the first attempt may or may not have counted. */
const RETRYABLE: ReadonlySet<string> = new Set([
  'NETWORK',
  'IDEMPOTENCY_KEY_IN_USE',
  'SERVICE_UNAVAILABLE',
])

/** How a mutating call retries: attempts in all, and the first pause (it doubles). */
export interface RetryOptions {
  attempts?: number
  baseDelayMs?: number
}

/**
 * The till's typed API client (`hc<AppType>`, as the customer app's): every call carries the
 * staff token; a refused token signs the till out. `fetchImpl` is for tests.
 */
export function createTillApi(
  fetchImpl: typeof fetch = (...a) => fetch(...a),
  retry: RetryOptions = {},
) {
  const client = hc<AppType>('/', {
    fetch: fetchImpl,
    headers: (): Record<string, string> => {
      const token = staffToken.get()
      return token ? { Authorization: `Bearer ${token}` } : {}
    },
  })
  const staff = client.api.staff
  // The coupon routes (WAVE3-API.md), typed here until the server's types carry them.
  const coupons = (client.api.staff as unknown as { coupons: CouponRoutes }).coupons

  async function send<R extends Response>(call: () => Promise<R>): Promise<R> {
    const token = staffToken.get()
    let res: R
    try {
      res = await call()
    } catch {
      throw new TillApiError('NETWORK', 0)
    }
    if (res.ok) return res
    const failure = await failureOf(res)
    if (failure.code === 'STAFF_AUTH_REQUIRED' && token) {
      staffToken.clear()
      for (const l of signedOutListeners) l()
    }
    throw failure
  }

  /** `send` only returns successful answers, so the error shape is not a possible body. */
  async function ok<R extends { json(): Promise<unknown> }>(res: Promise<R>) {
    return (await (await res).json()) as Exclude<Awaited<ReturnType<R['json']>>, { error: unknown }>
  }

  /**
   * A mutating call with one idempotency key: a lost answer or a busy key is retried with the
   * same key (so it can never count twice), a few times with a growing pause.
   */
  async function mutate<R extends Response>(
    idempotencyKey: string,
    call: (init: { headers: Record<string, string> }) => Promise<R>,
  ): Promise<R> {
    const attempts = retry.attempts ?? 4
    const base = retry.baseDelayMs ?? 400
    const init = { headers: { 'Idempotency-Key': idempotencyKey } }
    for (let i = 1; ; i++) {
      try {
        return await send(() => call(init))
      } catch (err) {
        if (!(err instanceof TillApiError) || !RETRYABLE.has(err.code) || i >= attempts) throw err
        await new Promise((r) => setTimeout(r, base * 2 ** (i - 1)))
      }
    }
  }

  return {
    async login(staffId: string, password: string): Promise<void> {
      const r = await ok(send(() => staff.login.$post({ json: { staffId, password } })))
      staffToken.set(r.token)
    },
    me: () => ok(send(() => staff.me.$get())),
    async logout(): Promise<void> {
      try {
        await send(() => staff.logout.$post())
      } finally {
        staffToken.clear()
      }
    },
    scan: (qrToken: string) => ok(send(() => staff.scan.$post({ json: { qrToken } }))),
    /** A plastic card's number (decision 092): the member, for an award only. */
    cardLookup: (cardNumber: string) =>
      ok(send(() => staff.card.lookup.$post({ json: { cardNumber } }))),
    cardAward: (body: { cardNumber: string; purchaseAmount: number }, key: string) =>
      ok(mutate(key, (init) => staff.card.award.$post({ json: body }, init))),
    points: (body: PointsBody, key: string) =>
      ok(mutate(key, (init) => staff.points.$post({ json: body }, init))),
    adjust: (body: { qrToken: string; points: number; reason: string }, key: string) =>
      ok(mutate(key, (init) => staff.adjust.$post({ json: body }, init))),
    void: (transactionId: string, key: string) =>
      ok(
        mutate(key, (init) =>
          staff.transactions[':id{[0-9]{1,15}}'].void.$post(
            { param: { id: transactionId }, json: {} },
            init,
          ),
        ),
      ),
    /** Applies a member's coupon (`POST /api/staff/coupons/redeem`). */
    redeemCoupon: async (body: RedeemCouponBody, key: string) =>
      (await mutate(key, (init) => coupons.redeem.$post({ json: body }, init)).then((r) =>
        r.json(),
      )) as CouponRedemption,
    /** Reverses a coupon's use (`POST /api/staff/coupons/reverse`, managers). */
    reverseCoupon: async (redemptionId: string | number, key: string) =>
      (await mutate(key, (init) => coupons.reverse.$post({ json: { redemptionId } }, init)).then(
        (r) => r.json(),
      )) as CouponReversal,
    /** Today's coupon uses of the store (`GET /api/staff/coupons/uses`, decision 097). */
    couponUses: (mine: boolean, before?: string) =>
      ok(
        send(() =>
          staff.coupons.uses.$get({
            query: { ...(mine ? { mine: '1' } : {}), ...(before ? { before } : {}) },
          }),
        ),
      ),
    today: (mine: boolean, before?: string) =>
      ok(
        send(() =>
          staff.transactions.$get({
            query: { ...(mine ? { mine: '1' } : {}), ...(before ? { before } : {}) },
          }),
        ),
      ),
  }
}

type Post<B> = (args: { json: B }, init: { headers: Record<string, string> }) => Promise<Response>
/** The till's coupon routes, as the typed client will know them. */
interface CouponRoutes {
  redeem: { $post: Post<RedeemCouponBody> }
  reverse: { $post: Post<{ redemptionId: string | number }> }
}

/** Body of `POST /api/staff/coupons/redeem`. */
export interface RedeemCouponBody {
  qrToken: string
  memberCouponId: number
  purchaseAmount?: number
}

/** Body of `POST /api/staff/points` as the till sends it. */
export type PointsBody =
  | { qrToken: string; type: 'award'; purchaseAmount: number }
  | { qrToken: string; type: 'redeem'; points: number }
  | { type: 'refund'; transactionId: string; refundAmount: number }

/** The till's client type. */
export type TillApi = ReturnType<typeof createTillApi>

/** The signed-in staff member, with the rules the till previews awards with. */
export type StaffMe = Awaited<ReturnType<TillApi['me']>>

/** The till's API calls. */
export const tillApi = createTillApi()
