import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A saved segment as stored (the segment as JSON text). */
export interface SavedSegmentRow {
  id: number
  name: string
  segment: string
  createdAt: number
}

const list = query<Record<string, never>, SavedSegmentRow>(
  () => sql`SELECT id, name, segment, created_at AS "createdAt" FROM saved_segments
    ORDER BY id DESC LIMIT 500`,
)
const insert = query<{ name: string; segment: string; by: string; at: number }, SavedSegmentRow>(
  (p) => sql`INSERT INTO saved_segments (name, segment, created_by, created_at)
    VALUES (${p.name}, ${p.segment}, ${p.by}, ${p.at})
    RETURNING id, name, segment, created_at AS "createdAt"`,
)
const remove = query<{ id: number }>((p) => sql`DELETE FROM saved_segments WHERE id = ${p.id}`)

/** Segments saved by name in the console. */
export const savedSegments = {
  /** The newest 500, newest first. */
  list: (db: Executor) => db.all(list, {}),
  insert: async (db: Executor, r: { name: string; segment: string; by: string; at: number }) => {
    const row = await db.get(insert, r)
    if (!row) throw new Error('saved segment not inserted')
    return row
  },
  /** True when a row was deleted. */
  remove: async (db: Executor, id: number) => (await db.run(remove, { id })) === 1,
}
