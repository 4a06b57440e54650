import { type Placeholder, type SQL, sql } from 'drizzle-orm'

/**
 * The data-access seam: what repositories and services see of the database, the same for
 * SQLite (one file, better-sqlite3) and PostgreSQL (node-postgres pool). Repositories write
 * their statements once with drizzle's `sql` template; each dialect compiles and runs them.
 * See docs/decisions/022-data-access-seam.md.
 */

export type Dialect = 'sqlite' | 'postgres'

/** Named parameters of a statement: a value per placeholder. */
export type Params = object

/**
 * A statement written once with named placeholders, compiled once per connection or pool.
 * `P` is its parameters, `R` the shape of one row it returns (columns aliased in the SQL).
 */
export interface Query<P extends Params, R> {
  readonly sql: SQL
  /** Phantom fields: only their types are used. */
  readonly _params?: P
  readonly _row?: R
}

/**
 * Defines a statement: `build` receives one placeholder per parameter name.
 * `query<{ id: number }, { name: string }>((p) => sql\`SELECT name FROM t WHERE id = ${p.id}\`)`
 */
export function query<P extends Params = Record<string, never>, R = unknown>(
  build: (p: { readonly [K in keyof P]: Placeholder }) => SQL,
): Query<P, R> {
  const placeholders = new Proxy({}, { get: (_target, name) => sql.placeholder(String(name)) }) as {
    readonly [K in keyof P]: Placeholder
  }
  return { sql: build(placeholders) }
}

/** Runs statements: the database itself (each statement on its own) or a transaction. */
export interface Executor {
  readonly dialect: Dialect
  /** Every row. */
  all<P extends Params, R>(q: Query<P, R>, params: P): Promise<R[]>
  /** The first row, or undefined. */
  get<P extends Params, R>(q: Query<P, R>, params: P): Promise<R | undefined>
  /** Runs a statement that returns no rows; resolves with the number of rows it changed. */
  run<P extends Params>(q: Query<P, unknown>, params: P): Promise<number>
  /** A statement built at run time (no placeholders; values inlined as parameters by `sql`). */
  execute<R>(statement: SQL): Promise<R[]>
}

/** A transaction in progress: statements run inside it; nothing is visible to others yet. */
export interface Tx extends Executor {
  /** Runs `fn` once this transaction has committed (never if it rolls back). */
  afterCommit(fn: () => void): void
  /** A savepoint: a throw inside `fn` undoes only what `fn` wrote, and is rethrown. */
  savepoint<T>(fn: (tx: Tx) => Promise<T>): Promise<T>
}

/** A read kept in memory where the dialect can prove it is still true (see `Database.cached`). */
export interface CachedRead<K, V> {
  (key: K): V | Promise<V>
  /** The same read; a miss may wait for the end of this event-loop turn to share a read. */
  batched(key: K): V | Promise<V>
}

/** What a cached read is built from: one statement, its parameters and the value made of its row. */
export interface CachedReadSpec<K, P extends Params, R, V> {
  query: Query<P, R>
  params: (key: K) => P
  value: (row: R | undefined) => V
  maxEntries?: number
}

/** The database: statements outside a transaction, transactions, and cached reads. */
export interface Database extends Executor {
  /**
   * Runs `fn` in a write transaction and commits; a throw rolls everything back and is
   * rethrown. The body should only do database work (its `tx`), and never use the database
   * itself (on SQLite that would wait for this very transaction).
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>
  /**
   * A read answered from memory while the dialect can prove the database has not changed
   * (SQLite: its change counters); on a dialect that cannot, every call reads.
   */
  cached<K, P extends Params, R, V>(spec: CachedReadSpec<K, P, R, V>): CachedRead<K, V>
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>
  /** Connections: open, idle, and callers waiting for one (a pool's figures). */
  connections(): { total: number; idle: number; waiting: number }
  close(): Promise<void>
}
