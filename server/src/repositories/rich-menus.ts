import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** The two menus: for friends who have not linked, and for members. */
export type RichMenuName = 'guest' | 'member'

const byName = query<{ name: string }, { id: string; hash: string }>(
  (p) => sql`SELECT rich_menu_id AS id, definition_hash AS hash FROM rich_menus
    WHERE name = ${p.name}`,
)
const save = query<{ name: string; id: string; hash: string; at: number }>(
  (p) => sql`INSERT INTO rich_menus (name, rich_menu_id, definition_hash, deployed_at)
    VALUES (${p.name}, ${p.id}, ${p.hash}, ${p.at})
    ON CONFLICT (name) DO UPDATE SET rich_menu_id = excluded.rich_menu_id,
      definition_hash = excluded.definition_hash, deployed_at = excluded.deployed_at`,
)
const linkedUsers = query<Record<string, never>, { id: string }>(
  () => sql`SELECT DISTINCT line_user_id AS id FROM line_links WHERE unlinked_at IS NULL
    ORDER BY 1`,
)
const formerlyLinkedUsers = query<Record<string, never>, { id: string }>(
  () => sql`SELECT DISTINCT line_user_id AS id FROM line_links l WHERE unlinked_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM line_links a
                       WHERE a.line_user_id = l.line_user_id AND a.unlinked_at IS NULL)
    ORDER BY 1`,
)

/** The rich menus deployed by `pnpm richmenu:deploy`, and who each one is for. */
export const richMenus = {
  /** The deployed menu's ID and the hash of what was deployed, or undefined. */
  byName: (db: Executor, name: RichMenuName) => db.get(byName, { name }),
  save: (db: Executor, m: { name: RichMenuName; id: string; hash: string; at: number }) =>
    db.run(save, m),
  /** Every LINE user with an active link (the member menu's users). */
  linkedUsers: async (db: Executor) => (await db.all(linkedUsers, {})).map((r) => r.id),
  /** Every LINE user who was linked once and is not now (the default menu's, again). */
  formerlyLinkedUsers: async (db: Executor) =>
    (await db.all(formerlyLinkedUsers, {})).map((r) => r.id),
}
