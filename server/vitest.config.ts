import { defineProject } from 'vitest/config'

/** Tests that need no PostgreSQL: everything on SQLite, and the tests without a database. */
export default defineProject({
  test: {
    name: 'server',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // On a real PostgreSQL only (vitest.pg.config.ts).
    exclude: ['test/pg-*.test.ts', 'test/schema-parity.test.ts', 'test/multi-instance*.test.ts'],
    testTimeout: 20_000,
  },
})
