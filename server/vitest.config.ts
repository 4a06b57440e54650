import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'server',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    // One throwaway PostgreSQL per run for the tests on PostgreSQL (./test/support/pg-*.ts):
    // it starts in the background, so a run without them hardly waits for it.
    globalSetup: ['test/support/pg-global-setup.ts'],
  },
})
