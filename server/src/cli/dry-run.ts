import type { SQL } from 'drizzle-orm'
import type { Database, Params, Query } from '../db/seam.ts'

/** Thrown at the end of a dry run's transaction to roll it back. */
const DRY_RUN = Symbol('dry run: roll back')

/**
 * The database as a dry run sees it: every transaction, and every statement run outside one,
 * is rolled back at its end, yet answers as if it had committed. So the production code of a
 * command runs unchanged (its checks, its counts) and nothing it writes is kept. Reads outside
 * a transaction go to the database as it is: a later transaction of the same dry run does not
 * see what an earlier one wrote. Everything else (the dialect, SQLite's connection for the
 * import's prepared statements, cached reads, close) is the database's own.
 */
export function dryRunDatabase(db: Database): Database {
  async function transaction<T>(fn: Parameters<Database['transaction']>[0]): Promise<T> {
    let value: T | undefined
    let finished = false
    try {
      await db.transaction(async (tx) => {
        value = (await fn(tx)) as T
        finished = true
        throw DRY_RUN
      })
    } catch (err) {
      if (err === DRY_RUN && finished) return value as T
      throw err
    }
    throw new Error('a dry-run transaction committed')
  }
  const overrides: Partial<Database> = {
    transaction: transaction as Database['transaction'],
    run: <P extends Params>(q: Query<P, unknown>, params: P) =>
      transaction<number>((tx) => tx.run(q, params)),
    execute: <R>(statement: SQL) => transaction<R[]>((tx) => tx.execute<R>(statement)),
  }
  return new Proxy(db, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof Database]
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
