import { defineProject } from 'vitest/config'

/**
 * The server's tests again on a real PostgreSQL: one throwaway cluster per run
 * (test/support/pg-global-setup.ts), a database per test file copied from a migrated template.
 * `TEST_DATABASE=postgres` makes test/support.ts open PostgreSQL instead of SQLite. Tests of the
 * SQLite adapter itself, and tests without a database, run only in the `server` project.
 */
export default defineProject({
  test: {
    name: 'server-pg',
    include: ['test/**/*.test.ts'],
    exclude: [
      // The SQLite adapter: group commit, the fresh cache, its migrations and bulk import path.
      'test/group-commit.test.ts',
      'test/fresh-cache.test.ts',
      'test/db-migrate.test.ts',
      'test/file-modes.test.ts',
      // The commands as processes on a SQLite file (their flags and prompts).
      'test/cli-flags.test.ts',
      'test/cli-staff-add.test.ts',
      // No database.
      'test/bounded-cache.test.ts',
      'test/node-listener.test.ts',
      'test/stand-in.test.ts',
      'test/config-dotenv.test.ts',
    ],
    env: { TEST_DATABASE: 'postgres' },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    globalSetup: ['test/support/pg-global-setup.ts'],
  },
})
