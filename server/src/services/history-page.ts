import type { Executor } from '../db/seam.ts'
import { ledger } from '../repositories/ledger.ts'

/** Opaque history cursor. */
export function encodeCursor(id: number): string {
  return Buffer.from(`h:${id}`).toString('base64url')
}

/** Decodes a history cursor; undefined when it is not one. */
export function decodeCursor(cursor: string): number | undefined {
  const m = /^h:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  return m?.[1] ? Number(m[1]) : undefined
}

/**
 * One page of a card's ledger, newest first, before the entry id `before`: the shape the
 * customer's history and the console's member page answer.
 */
export async function historyPage(db: Executor, cardId: number, before: number, limit: number) {
  const rows = await ledger.history(db, cardId, before, limit + 1)
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    items: page.map((r) => ({
      id: String(r.id),
      type: r.type,
      points: r.points,
      balance: r.balance,
      createdAt: new Date(r.createdAt).toISOString(),
      storeCode: r.storeCode,
      storeName: r.storeName,
    })),
    nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
  }
}
