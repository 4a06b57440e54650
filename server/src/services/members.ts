import { maskCardNumber, normalizeCardNumber } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { MemberNotFound, NotLinked } from '../domain/errors.ts'
import { type MemberRow, members } from '../repositories/members.ts'
import type { AuditActor, AuditService } from './audit.ts'
import type { CardLocks } from './card-locks.ts'
import { decodeCursor, encodeCursor, historyPage } from './history-page.ts'
import type { IdempotencyClaim } from './idempotency.ts'
import type { Membership } from './membership.ts'
import type { PointsService } from './points.ts'

export interface MembersDeps {
  db: Database
  clock: Clock
  membership: Membership
  points: PointsService
  audit: AuditService
  /** The cards' PIN-guessing locks (link-limits.ts). */
  locks: CardLocks
}

/** A search hit as the API answers it. */
export interface MemberHit {
  cardId: string
  cardNumber: string
  name: string
  rank: string
  points: number
  linked: boolean
}

const PAGE = 50
const HISTORY_PAGE = 50

const hit = (r: MemberRow): MemberHit => ({
  cardId: String(r.id),
  cardNumber: maskCardNumber(r.cardNumber),
  name: r.name,
  rank: r.rank,
  points: Number(r.points),
  linked: r.linked === true || Number(r.linked) === 1,
})

/** What a search query is: a full card number, its last 4 digits, or part of a name. */
export function classifyQuery(
  q: string,
): { kind: 'number' | 'last4'; value: string } | { kind: 'name'; value: string } {
  const digits = normalizeCardNumber(q)
  if (/^\d{16}$/.test(digits)) return { kind: 'number', value: digits }
  if (/^\d{4}$/.test(digits)) return { kind: 'last4', value: digits }
  return { kind: 'name', value: q.trim() }
}

/**
 * The console's members: search, a member's page and history, and the actions on a member
 * (adjust, unlink, erase, clear the PIN lock), each audit-logged in its own transaction.
 */
export function createMembersService({ db, clock, membership, points, audit, locks }: MembersDeps) {
  async function cardOf(cardId: number) {
    const row = await members.detail(db, cardId)
    if (!row) throw new MemberNotFound()
    return row
  }

  return {
    /** One page of members matching `q`, by card ID; `cursor` is the previous page's. */
    async search(
      q: string,
      cursor?: string,
    ): Promise<{ items: MemberHit[]; nextCursor: string | null }> {
      const after = cursor === undefined ? 0 : (decodeCursor(cursor) ?? 0)
      const query = classifyQuery(q)
      const limit = PAGE + 1
      const rows =
        query.kind === 'number'
          ? await members.byNumber(db, query.value, after, limit)
          : query.kind === 'last4'
            ? await members.byLast4(db, query.value, after, limit)
            : query.value === ''
              ? []
              : await members.byName(db, query.value, after, limit)
      const page = rows.slice(0, PAGE)
      const last = page.at(-1)
      return {
        items: page.map(hit),
        nextCursor: rows.length > PAGE && last ? encodeCursor(last.id) : null,
      }
    },

    /** A member's page. */
    async detail(cardId: number) {
      const c = await cardOf(cardId)
      const lock = await locks.lockOf(cardId)
      const locked = lock ? { until: new Date(lock.until).toISOString() } : null
      const [consents, messages] = await Promise.all([
        members.consents(db, cardId),
        members.messages(db, cardId),
      ])
      const linked = c.lineUserId !== null
      const friendKnown = c.friendKnown === true || Number(c.friendKnown) === 1
      return {
        cardId: String(c.id),
        cardNumber: maskCardNumber(c.cardNumber),
        name: c.name,
        rank: c.rank,
        points: Number(c.points),
        birthDate: c.birthDate,
        linked,
        linkedAt: c.linkedAt === null ? null : new Date(Number(c.linkedAt)).toISOString(),
        friend: linked && friendKnown ? c.followedAt !== null && c.blockedAt === null : null,
        locked,
        erasedAt: c.erasedAt === null ? null : new Date(Number(c.erasedAt)).toISOString(),
        consents: consents.map((x) => ({
          version: x.version,
          acceptedAt: new Date(Number(x.at)).toISOString(),
        })),
        messages: messages.map((m) => ({
          at: new Date(Number(m.at)).toISOString(),
          kind: m.kind,
          status: m.sentAt !== null ? 'sent' : m.failedAt !== null ? 'failed' : 'pending',
        })),
      }
    },

    /** One page of the member's ledger, newest first (the customer history's shape). */
    async history(cardId: number, cursor?: string) {
      await cardOf(cardId)
      const before = cursor === undefined ? Number.MAX_SAFE_INTEGER : (decodeCursor(cursor) ?? 0)
      return historyPage(db, cardId, before, HISTORY_PAGE)
    },

    /** Adjusts the points (signed) with a reason: an `adjust` entry, audit-logged. */
    adjust(
      who: AuditActor,
      cardId: number,
      input: { points: number; reason: string },
      claim: IdempotencyClaim,
    ) {
      return points.adjustCard(who.actor, cardId, input, claim, (tx, r) =>
        audit.record(tx, {
          ...who,
          action: 'member.adjust',
          target: String(cardId),
          detail: { points: input.points, reason: input.reason, transactionId: r.transactionId },
        }),
      )
    },

    /** Closes the member's LINE link; `NotLinked` when there is none. */
    async unlink(who: AuditActor, cardId: number): Promise<void> {
      await cardOf(cardId)
      const now = clock.now()
      await db.transaction(async (tx) => {
        if ((await membership.unlinkCardInTx(tx, cardId, now)) === undefined) throw new NotLinked()
        await audit.record(tx, { ...who, action: 'member.unlink', target: String(cardId) })
      })
    },

    /**
     * Erasure on the member's request (Japan's APPI): the name, birth date and PIN hash go,
     * the LINE link is closed and the LINE user IDs of the card's links are forgotten; the
     * ledger stays, on the anonymised card. Idempotent: erasing again changes nothing and
     * records nothing.
     */
    async erase(who: AuditActor, cardId: number, reason: string): Promise<void> {
      await cardOf(cardId)
      const now = clock.now()
      await db.transaction(async (tx) => {
        await membership.unlinkCardInTx(tx, cardId, now)
        if (!(await members.anonymise(tx, cardId, now))) return
        await members.forgetLinkUsers(tx, cardId)
        await audit.record(tx, {
          ...who,
          action: 'member.erase',
          target: String(cardId),
          detail: { reason },
        })
      })
    },

    /** Forgets the card's failed link attempts: its PIN-guessing lock ends now (audit-logged). */
    async clearLock(who: AuditActor, cardId: number): Promise<void> {
      await cardOf(cardId)
      await locks.clear(who, cardId)
    },
  }
}

export type MembersService = ReturnType<typeof createMembersService>
