import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Column, getTableColumns, getTableName, is, SQL } from 'drizzle-orm'
import { PgDialect, PgTable, getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core'
import {
  SQLiteSyncDialect,
  SQLiteTable,
  getTableConfig as sqliteTableConfig,
} from 'drizzle-orm/sqlite-core'
import { describe, expect, it } from 'vitest'
import { PG_MIGRATIONS_FOLDER } from '../src/db/postgres.ts'
import * as pgSchema from '../src/db/schema.pg.ts'
import * as sqliteSchema from '../src/db/schema.ts'
import { SQLITE_MIGRATIONS_FOLDER as MIGRATIONS_FOLDER } from '../src/db/sqlite.ts'

/**
 * schema.pg.ts is the twin of schema.ts (the source of truth): both are reduced to the same
 * dialect-free description, which must be equal table by table. And each dialect's migrations
 * must produce its schema file (no `db:generate` / `db:generate:pg` forgotten).
 */

interface ColumnShape {
  name: string
  type: 'integer' | 'text'
  notNull: boolean
  primary: boolean
  autoIncrement: boolean
  hasDefault: boolean
  default: unknown
  enumValues: string[] | undefined
}

interface TableShape {
  name: string
  columns: Record<string, ColumnShape>
  primaryKeys: { name: string; columns: string[] }[]
  indexes: { name: string; columns: string[]; unique: boolean; where: string | undefined }[]
  foreignKeys: {
    name: string
    columns: string[]
    foreignTable: string
    foreignColumns: string[]
    onDelete: string
    onUpdate: string
  }[]
  checks: { name: string; sql: string }[]
  uniqueConstraints: string[]
}

const sqliteDialect = new SQLiteSyncDialect()
const pgDialect = new PgDialect()

/** The dialect-free type of a column; an unknown column type fails here, to be mapped. */
function columnType(column: Column): ColumnShape['type'] {
  switch (column.columnType) {
    case 'SQLiteInteger':
    case 'PgBigInt53':
      return 'integer'
    case 'SQLiteText':
    case 'PgText':
      return 'text'
    default:
      throw new Error(`${column.name}: column type ${column.columnType} has no twin mapping`)
  }
}

function columnShape(column: Column, autoIncrement: boolean): ColumnShape {
  return {
    name: column.name,
    type: columnType(column),
    notNull: column.notNull,
    primary: column.primary,
    autoIncrement,
    // An autoincrement id's default is the sequence, not a value.
    hasDefault: column.hasDefault && !autoIncrement,
    default: column.default,
    enumValues: column.enumValues,
  }
}

const byName = <T extends { name: string }>(list: T[]) =>
  [...list].sort((a, b) => a.name.localeCompare(b.name))

function sqliteShape(table: SQLiteTable): TableShape {
  const config = sqliteTableConfig(table)
  const render = (s: SQL) => sqliteDialect.sqlToQuery(s).sql
  return {
    name: config.name,
    columns: Object.fromEntries(
      Object.entries(getTableColumns(table)).map(([key, c]) => [
        key,
        columnShape(c, c.primary && (c as { autoIncrement?: boolean }).autoIncrement === true),
      ]),
    ),
    primaryKeys: config.primaryKeys.map((pk) => ({
      name: pk.getName(),
      columns: pk.columns.map((c) => c.name),
    })),
    indexes: byName(
      config.indexes.map(({ config: i }) => ({
        name: i.name,
        columns: i.columns.map((c) => (is(c, SQL) ? render(c) : c.name)),
        unique: i.unique,
        where: i.where && render(i.where),
      })),
    ),
    foreignKeys: byName(
      config.foreignKeys.map((fk) => {
        const ref = fk.reference()
        return {
          name: fk.getName(),
          columns: ref.columns.map((c) => c.name),
          foreignTable: getTableName(ref.foreignTable),
          foreignColumns: ref.foreignColumns.map((c) => c.name),
          onDelete: fk.onDelete ?? 'no action',
          onUpdate: fk.onUpdate ?? 'no action',
        }
      }),
    ),
    checks: byName(config.checks.map((c) => ({ name: c.name, sql: render(c.value) }))),
    uniqueConstraints: config.uniqueConstraints.map((u) => u.getName() ?? '(unnamed)'),
  }
}

function pgShape(table: PgTable): TableShape {
  const config = pgTableConfig(table)
  const render = (s: SQL) => pgDialect.sqlToQuery(s).sql
  return {
    name: config.name,
    columns: Object.fromEntries(
      Object.entries(getTableColumns(table)).map(([key, c]) => [
        key,
        columnShape(c, c.generatedIdentity !== undefined),
      ]),
    ),
    primaryKeys: config.primaryKeys.map((pk) => ({
      name: pk.getName(),
      columns: pk.columns.map((c) => c.name),
    })),
    indexes: byName(
      config.indexes.map(({ config: i }) => ({
        name: i.name ?? '(unnamed)',
        columns: i.columns.map((c) => (is(c, SQL) ? render(c) : ('name' in c && c.name) || '?')),
        unique: i.unique,
        where: i.where && render(i.where),
      })),
    ),
    foreignKeys: byName(
      config.foreignKeys.map((fk) => {
        const ref = fk.reference()
        return {
          name: fk.getName(),
          columns: ref.columns.map((c) => c.name),
          foreignTable: getTableName(ref.foreignTable),
          foreignColumns: ref.foreignColumns.map((c) => c.name),
          onDelete: fk.onDelete ?? 'no action',
          onUpdate: fk.onUpdate ?? 'no action',
        }
      }),
    ),
    checks: byName(config.checks.map((c) => ({ name: c.name, sql: render(c.value) }))),
    uniqueConstraints: config.uniqueConstraints.map((u) => u.getName() ?? '(unnamed)'),
  }
}

const sqliteTables = Object.fromEntries(
  Object.entries(sqliteSchema as Record<string, unknown>).filter((e): e is [string, SQLiteTable] =>
    is(e[1], SQLiteTable),
  ),
)
const pgTables = Object.fromEntries(
  Object.entries(pgSchema as Record<string, unknown>).filter((e): e is [string, PgTable] =>
    is(e[1], PgTable),
  ),
)

describe('schema.pg.ts is the twin of schema.ts', () => {
  it('exports the same tables under the same names', () => {
    expect(Object.keys(sqliteTables).length).toBeGreaterThan(15)
    expect(Object.keys(pgTables).sort()).toEqual(Object.keys(sqliteTables).sort())
  })

  it.each(Object.keys(sqliteTables))('%s: same columns, keys, indexes and checks', (key) => {
    const sqlite = sqliteShape(sqliteTables[key]!)
    const table = pgTables[key]
    expect(table, `schema.pg.ts has no table ${key}`).toBeDefined()
    expect(pgShape(table!)).toEqual(sqlite)
  })

  it('numbers its autoincrement ids BY DEFAULT (copied rows may keep their ids)', () => {
    for (const table of Object.values(pgTables)) {
      for (const column of Object.values(getTableColumns(table))) {
        if (column.generatedIdentity) expect(column.generatedIdentity.type).toBe('byDefault')
      }
    }
  })
})

/** The newest drizzle-kit snapshot of a migrations folder. */
function lastSnapshot(folder: string): Record<string, unknown> {
  const meta = join(folder, 'meta')
  const last = readdirSync(meta)
    .filter((f) => f.endsWith('_snapshot.json'))
    .sort()
    .at(-1)
  if (!last) throw new Error(`no snapshot in ${meta}`)
  return JSON.parse(readFileSync(join(meta, last), 'utf8'))
}

/** drizzle-kit's diff between the migrations and the schema; a rename it would ask about throws. */
async function pendingStatements(diff: () => Promise<string[]>, generate: string) {
  try {
    return await diff()
  } catch (err) {
    throw new Error(`the schema differs from the migrations: run \`${generate}\` (${err})`)
  }
}

describe('the migrations are generated from the schema files', () => {
  it('drizzle-pg/ produces schema.pg.ts and drizzle/ produces schema.ts', async () => {
    const kit = await import('drizzle-kit/api')
    const pg = await pendingStatements(
      () =>
        kit.generateMigration(
          lastSnapshot(PG_MIGRATIONS_FOLDER) as never,
          kit.generateDrizzleJson(pgSchema),
        ),
      'pnpm db:generate:pg',
    )
    expect(pg, 'schema.pg.ts changes with no PostgreSQL migration').toEqual([])
    const sqlite = await pendingStatements(
      async () =>
        kit.generateSQLiteMigration(
          lastSnapshot(MIGRATIONS_FOLDER) as never,
          await kit.generateSQLiteDrizzleJson(sqliteSchema),
        ),
      'pnpm db:generate',
    )
    expect(sqlite, 'schema.ts changes with no SQLite migration').toEqual([])
  }, 60_000)
})
