import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'e2e',
    include: ['e2e/**/*.test.ts', 'browser/**/*.test.ts', 'resilience/**/*.test.ts'],
    // The two-minute soak runs in `pnpm test:resilience` (vitest.soak.config.ts).
    exclude: ['resilience/steady-load.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
