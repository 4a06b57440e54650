import { defineConfig } from 'drizzle-kit'

/** Migrations of the PostgreSQL schema (schema.pg.ts), the twin of drizzle.config.ts. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.pg.ts',
  out: './drizzle-pg',
})
